package io.ossfuse.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The DaemonSet and the sample pod give the daemon the host paths its defaults use. */
class KubernetesManifestTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final JsonNode daemonSet = read("daemonset.yaml");
  private final JsonNode appPod = read("app-pod.yaml");

  @Test
  void daemonSetRunsThePrivilegedDaemonOnEveryNode() {
    assertEquals("apps/v1", daemonSet.path("apiVersion").asText());
    assertEquals("DaemonSet", daemonSet.path("kind").asText());
    JsonNode pod = daemonSet.path("spec").path("template").path("spec");
    assertTrue(
        pod.path("hostNetwork").asBoolean(),
        "hostNetwork: OSS and metadata service as the node sees them");
    assertEquals("Exists", pod.path("tolerations").path(0).path("operator").asText());
    JsonNode container = daemonContainer();
    // Kubernetes allows Bidirectional propagation only in privileged containers.
    assertTrue(container.path("securityContext").path("privileged").asBoolean());
    assertEquals(
        daemonSet.path("spec").path("selector").path("matchLabels"),
        daemonSet.path("spec").path("template").path("metadata").path("labels"));
  }

  @Test
  void bindRootIsAHostPathWithBidirectionalPropagation() {
    assertHostMount(
        DaemonDefaults.ALLOWED_BIND_ROOT, DaemonDefaults.ALLOWED_BIND_ROOT, "Bidirectional");
  }

  @Test
  void fuseMountpointsAreOnAHostPathWithBidirectionalPropagation() {
    assertHostMount(DaemonDefaults.MOUNT_ROOT, DaemonDefaults.MOUNT_ROOT, "Bidirectional");
  }

  @Test
  void controlSocketStateFileAndLogsAreOnHostPaths() {
    assertHostMount(
        parent(DaemonDefaults.CONTROL_SOCKET), parent(DaemonDefaults.CONTROL_SOCKET), null);
    assertHostMount(parent(DaemonDefaults.STATE_FILE), parent(DaemonDefaults.STATE_FILE), null);
    assertHostMount(DaemonDefaults.LOG_DIR, DaemonDefaults.LOG_DIR, null);
    JsonNode probe = daemonContainer().path("readinessProbe").path("exec").path("command");
    assertEquals(
        DaemonDefaults.CONTROL_SOCKET,
        probe.path(probe.size() - 1).asText(),
        "the readiness probe checks the default control socket");
  }

  @Test
  void fuseDeviceIsTheHostCharacterDevice() {
    JsonNode volume = hostPathVolumes().get("/dev/fuse");
    assertNotNull(volume, "no hostPath volume for /dev/fuse");
    assertEquals("CharDevice", volume.path("hostPath").path("type").asText());
  }

  /**
   * Every cache directory of the shipped tieredstore.yaml is under a host path the DaemonSet
   * mounts.
   */
  @Test
  void cacheDirectoriesOfTheExampleConfigAreHostPaths() {
    JsonNode levels =
        readFile(Project.distSources().resolve("conf/tieredstore.yaml"))
            .path("tieredstore")
            .path("levels");
    assertTrue(levels.size() >= 1);
    for (JsonNode level : levels) {
      for (String dir : level.path("path").asText().split(",")) {
        String cacheDir = dir.strip();
        String covering =
            containerMounts().keySet().stream()
                .filter(m -> cacheDir.equals(m) || cacheDir.startsWith(m + "/"))
                .findFirst()
                .orElseThrow(
                    () -> new AssertionError("cache dir " + cacheDir + " is not on a host volume"));
        assertNotNull(
            volumeFor(containerMounts().get(covering)).get("hostPath"),
            covering + " must be a hostPath so cached blocks survive the container");
      }
    }
  }

  @Test
  void everyMountNamesAVolumeAndEveryVolumeIsMounted() {
    Map<String, JsonNode> mounts = containerMounts();
    JsonNode volumes = daemonSet.path("spec").path("template").path("spec").path("volumes");
    assertEquals(volumes.size(), mounts.size(), "volumes and volumeMounts differ in number");
    mounts
        .values()
        .forEach(m -> assertNotNull(volumeFor(m), "no volume named " + m.path("name").asText()));
  }

  /**
   * The app sees new mounts after a recovery only with HostToContainer, on the mountpoints' parent.
   */
  @Test
  void appPodSeesRemountsThroughHostToContainer() {
    assertEquals("Pod", appPod.path("kind").asText());
    JsonNode mount = appPod.path("spec").path("containers").path(0).path("volumeMounts").path(0);
    assertEquals("HostToContainer", mount.path("mountPropagation").asText());
    assertTrue(mount.path("readOnly").asBoolean());
    assertTrue(mount.path("subPath").isMissingNode(), "subPath does not follow remounts");
    JsonNode volume = appPod.path("spec").path("volumes").path(0);
    assertEquals(mount.path("name").asText(), volume.path("name").asText());
    assertEquals(DaemonDefaults.MOUNT_ROOT, volume.path("hostPath").path("path").asText());
  }

  private void assertHostMount(String hostPath, String containerPath, String propagation) {
    JsonNode volume = hostPathVolumes().get(hostPath);
    assertNotNull(volume, "DaemonSet has no hostPath volume for " + hostPath);
    JsonNode mount = containerMounts().get(containerPath);
    assertNotNull(mount, "daemon container does not mount " + containerPath);
    assertEquals(
        volume.path("name").asText(),
        mount.path("name").asText(),
        containerPath + " must be the host's " + hostPath + " (same path inside and outside)");
    if (propagation != null) {
      assertEquals(
          propagation,
          mount.path("mountPropagation").asText(),
          "mountPropagation of " + containerPath);
    }
    assertTrue(!mount.path("readOnly").asBoolean(), containerPath + " must be writable");
  }

  private JsonNode daemonContainer() {
    JsonNode containers = daemonSet.path("spec").path("template").path("spec").path("containers");
    assertEquals(1, containers.size());
    return containers.get(0);
  }

  private Map<String, JsonNode> containerMounts() {
    Map<String, JsonNode> byPath = new HashMap<>();
    daemonContainer()
        .path("volumeMounts")
        .forEach(m -> byPath.put(m.path("mountPath").asText(), m));
    return byPath;
  }

  private Map<String, JsonNode> hostPathVolumes() {
    Map<String, JsonNode> byPath = new HashMap<>();
    daemonSet
        .path("spec")
        .path("template")
        .path("spec")
        .path("volumes")
        .forEach(
            v -> {
              if (v.has("hostPath")) {
                byPath.put(v.path("hostPath").path("path").asText(), v);
              }
            });
    return byPath;
  }

  private JsonNode volumeFor(JsonNode mount) {
    for (JsonNode v : daemonSet.path("spec").path("template").path("spec").path("volumes")) {
      if (v.path("name").asText().equals(mount.path("name").asText())) {
        return v;
      }
    }
    return null;
  }

  private static String parent(String file) {
    return Path.of(file).getParent().toString();
  }

  private static JsonNode read(String file) {
    return readFile(Project.k8s(file));
  }

  private static JsonNode readFile(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new AssertionError(file + " is not valid YAML: " + e.getMessage(), e);
    }
  }
}
