package io.ossfuse.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ossfuse.cache.TierLevel;
import io.ossfuse.cache.TieredStoreConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Fluid ThinRuntime manifests in k8s/fluid/ parse and fit together (names, paths, secrets). */
class FluidManifestTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final JsonNode profile = read("thinruntimeprofile.yaml");
  private final JsonNode runtime = read("thinruntime.yaml");
  private final JsonNode dataset = read("dataset.yaml");
  private final JsonNode secret = read("oss-secret.yaml");
  private final JsonNode app = read("app-pod.yaml");

  @Test
  void theProfileRunsOssfuseFluidAsAFuseOfTypeFuseOssfuse() {
    assertEquals("data.fluid.io/v1alpha1", profile.path("apiVersion").asText());
    assertEquals("ThinRuntimeProfile", profile.path("kind").asText());
    assertEquals(
        "fuse.ossfuse",
        profile.path("spec").path("fileSystemType").asText(),
        "what Fluid's CSI greps the mount table for (FuseMountConfig.SUBTYPE)");
    List<String> command = new ArrayList<>();
    profile.path("spec").path("fuse").path("command").forEach(c -> command.add(c.asText()));
    assertEquals(List.of("/usr/bin/tini", "--", "/opt/ossfuse/bin/ossfuse", "fluid"), command);
    assertEquals("HostNetwork", profile.path("spec").path("fuse").path("networkMode").asText());
  }

  @Test
  void stateLogsCacheAndDevFuseAreHostPathsAtTheSamePath() {
    Map<String, JsonNode> volumes = new HashMap<>();
    profile.path("spec").path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
    JsonNode mounts = profile.path("spec").path("fuse").path("volumeMounts");
    assertEquals(volumes.size(), mounts.size(), "every volume mounted, every mount a volume");
    List<String> paths = new ArrayList<>();
    for (JsonNode m : mounts) {
      JsonNode v = volumes.get(m.path("name").asText());
      assertNotNull(v, "no volume " + m.path("name").asText());
      assertEquals(
          m.path("mountPath").asText(),
          v.path("hostPath").path("path").asText(),
          "same path in and out");
      paths.add(m.path("mountPath").asText());
    }
    // FluidCommand.defaultState: /var/lib/ossfuse/fluid/<ns>/<runtime>/state.json
    assertTrue(paths.contains("/var/lib/ossfuse/fluid"), paths.toString());
    assertTrue(paths.contains("/dev/fuse"));
    assertEquals("CharDevice", volumes.get("dev-fuse").path("hostPath").path("type").asText());
  }

  @Test
  void theRuntimeUsesTheProfileAndItsCacheLevelsSitOnHostPaths() {
    assertEquals("ThinRuntime", runtime.path("kind").asText());
    assertEquals(
        profile.path("metadata").path("name").asText(),
        runtime.path("spec").path("profileName").asText());
    assertEquals(
        dataset.path("metadata").path("name").asText(),
        runtime.path("metadata").path("name").asText(),
        "a runtime serves the Dataset of its own name");
    // What ossfuse reads: the runtime option, parsed by the real parser.
    TieredStoreConfig ts =
        TieredStoreConfig.parse(
            runtime.path("spec").path("fuse").path("options").path("tieredstore").asText());
    List<TierLevel> levels = ts.levels();
    String fluidCacheDir =
        runtime.path("spec").path("tieredstore").path("levels").path(0).path("path").asText();
    assertEquals(
        fluidCacheDir,
        levels.get(0).paths().get(0).toString(),
        "the first level is Fluid's cacheDir, a hostPath Fluid adds to the FUSE pod");
    List<String> hostPaths = new ArrayList<>();
    profile
        .path("spec")
        .path("volumes")
        .forEach(v -> hostPaths.add(v.path("hostPath").path("path").asText()));
    for (TierLevel l : levels.subList(1, levels.size())) {
      for (Path p : l.paths()) {
        assertTrue(
            hostPaths.stream().anyMatch(h -> p.startsWith(h)),
            p + " is on no hostPath of the profile " + hostPaths);
      }
    }
  }

  @Test
  void theDatasetTakesItsKeysFromTheSecretByEncryptOptions() {
    assertEquals("Dataset", dataset.path("kind").asText());
    assertEquals("ReadOnlyMany", dataset.path("spec").path("accessModes").path(0).asText());
    JsonNode mounts = dataset.path("spec").path("mounts");
    assertEquals(1, mounts.size(), "the sample serves one source, at the root of the volume");
    JsonNode m = mounts.get(0);
    assertTrue(m.path("mountPoint").asText().startsWith("oss://"));
    assertFalse(m.path("options").path("fs.oss.endpoint").asText().isEmpty());
    assertFalse(
        m.path("options").has("fs.oss.accessKeySecret"), "keys only through encryptOptions");
    List<String> names = new ArrayList<>();
    for (JsonNode e : m.path("encryptOptions")) {
      names.add(e.path("name").asText());
      JsonNode ref = e.path("valueFrom").path("secretKeyRef");
      assertEquals(secret.path("metadata").path("name").asText(), ref.path("name").asText());
      assertTrue(
          secret.path("stringData").has(ref.path("key").asText()),
          "the Secret has key " + ref.path("key").asText());
    }
    assertEquals(List.of("fs.oss.accessKeyId", "fs.oss.accessKeySecret"), names);
  }

  @Test
  void theAppLoopsLsOnTheDatasetsClaimWithHostToContainer() {
    assertEquals("Pod", app.path("kind").asText());
    JsonNode c = app.path("spec").path("containers").path(0);
    assertTrue(
        c.path("command").toString().contains("while true; do")
            && c.path("command").toString().contains("ls -l /data"));
    JsonNode mount = c.path("volumeMounts").path(0);
    assertEquals("HostToContainer", mount.path("mountPropagation").asText());
    assertTrue(mount.path("subPath").isMissingNode());
    JsonNode vol = app.path("spec").path("volumes").path(0);
    assertEquals(mount.path("name").asText(), vol.path("name").asText());
    assertEquals(
        dataset.path("metadata").path("name").asText(),
        vol.path("persistentVolumeClaim").path("claimName").asText(),
        "Fluid names the Dataset's PVC after the Dataset");
  }

  private static JsonNode read(String file) {
    Path p = Project.k8s("fluid/" + file);
    try {
      return YAML.readTree(p.toFile());
    } catch (IOException e) {
      throw new AssertionError(p + " is not valid YAML: " + e.getMessage(), e);
    }
  }
}
