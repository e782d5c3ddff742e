package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.cache.TieredStoreConfig;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.mount.MountSource;
import io.ossfuse.oss.SignatureVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fluid's ThinRuntime FUSE config in the shapes Fluid writes it. The samples follow Fluid's own
 * code and docs (fluid-cloudnative/fluid):
 *
 * <ul>
 *   <li>pkg/ddc/thin/type.go ({@code Config}: mounts, targetPath, runtimeOptions, accessModes, ...)
 *       and pkg/ddc/thin/transform_config.go: with the default ConfigMap storage each
 *       encryptOptions entry becomes an option whose value is {@code
 *       /etc/fluid/secrets/<secret>/<key>}, and encryptOptions itself is dropped;
 *   <li>pkg/ddc/thin/ufs_internal.go genEncryptOptions: with {@code
 *       THIN_FUSE_CONFIG_STORAGE=secret} the option holds the secret value;
 *   <li>api/v1alpha1 Dataset {@code EncryptOption} ({@code name}, {@code valueFrom.secretKeyRef})
 *       as older configs carried it, and the name → file map of Fluid's cache-runtime config docs;
 *   <li>targetPath {@code /runtime-mnt/thin/<namespace>/<dataset>/thin-fuse} as in Fluid's docs.
 * </ul>
 */
class FluidConfigTest {
  private static final String TARGET = "/runtime-mnt/thin/default/oss-demo/thin-fuse";

  @TempDir Path dir;

  /**
   * The ConfigMap-storage config, with the Secret's files under {@code secrets} instead of
   * /etc/fluid/secrets.
   */
  private String configMapStyle(Path secrets) {
    return """
                {"mounts":[{"mountPoint":"oss://imagenet-bkt/train","options":{"fs.oss.endpoint":"http://127.0.0.1:9000",
                  "fs.oss.accessKeyId":"%s/oss-secret/fs.oss.accessKeyId",
                  "fs.oss.accessKeySecret":"%s/oss-secret/fs.oss.accessKeySecret"},"name":"train","path":"/"}],
                 "targetPath":"%s","runtimeOptions":{"uid":"1000","gid":"1000","allow_other":"","metadata-ttl":"60",
                  "kernel_cache":""},
                 "accessModes":["ReadOnlyMany"]}
                """
        .formatted(secrets, secrets, TARGET);
  }

  private Path secretVolume() throws Exception {
    // The layout kubelet gives a Secret volume: files are symlinks through ..data.
    Path s = Files.createDirectories(dir.resolve("secrets/oss-secret/..2026_12_03"));
    Files.writeString(s.resolve("fs.oss.accessKeyId"), "LTAIexampleid\n");
    Files.writeString(s.resolve("fs.oss.accessKeySecret"), "s3cr3t-value\n");
    Path vol = s.getParent();
    Files.createSymbolicLink(vol.resolve("..data"), Path.of("..2026_12_03"));
    Files.createSymbolicLink(
        vol.resolve("fs.oss.accessKeyId"), Path.of("..data/fs.oss.accessKeyId"));
    Files.createSymbolicLink(
        vol.resolve("fs.oss.accessKeySecret"), Path.of("..data/fs.oss.accessKeySecret"));
    return dir.resolve("secrets");
  }

  @Test
  void configMapStorageLinksTheSecretFilesIntoACredDir() throws Exception {
    Path secrets = secretVolume();
    FluidConfig c = FluidConfig.parse(configMapStyle(secrets), "config.json");
    assertEquals(TARGET, c.targetPath());
    assertEquals("oss://imagenet-bkt/train", c.mounts().get(0).mountPoint());
    FluidPlan plan = FluidPlan.of(c, dir.resolve("run"), null, "raw");
    MountOptions o = plan.options();
    assertEquals("oss://imagenet-bkt/train", o.source());
    assertEquals(TARGET, o.mountpoint());
    assertEquals("http://127.0.0.1:9000", o.endpoint());
    assertEquals(1000, o.uid());
    assertEquals(1000, o.gid());
    assertTrue(o.allowOther());
    assertEquals(60_000, o.metadataTtlMillis());
    assertEquals("raw", o.transport());
    assertEquals(dir.resolve("run/train/credentials").toString(), o.credDir());
    assertEquals(
        List.of("ignoring runtime option 'kernel_cache' (ThinRuntime spec.fuse.options)"),
        plan.warnings());

    Path target = dir.resolve("target");
    FluidPlan local =
        FluidPlan.of(
            FluidConfig.parse(configMapStyle(secrets).replace(TARGET, target.toString()), "c"),
            dir.resolve("run"),
            null,
            "raw");
    local.prepare();
    Path cred = Path.of(local.options().credDir());
    assertTrue(
        Files.isSymbolicLink(cred.resolve("fs.oss.accessKeyId")),
        "a link: kubelet's rotation reaches us");
    assertEquals("LTAIexampleid", Files.readString(cred.resolve("fs.oss.accessKeyId")).strip());
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("run"))));
    assertTrue(Files.isDirectory(target), "targetPath made");
    local.prepare(); // a container restart prepares the same files again
    assertEquals("s3cr3t-value", Files.readString(cred.resolve("fs.oss.accessKeySecret")).strip());
    assertEquals(
        local.options(),
        FluidPlan.of(
                FluidConfig.parse(configMapStyle(secrets).replace(TARGET, target.toString()), "c"),
                dir.resolve("run"),
                null,
                "raw")
            .options(),
        "the same config gives the same options: the daemon keeps its mount");
  }

  @Test
  void secretStorageInlinesTheKeysWhichGoTo0600FilesAndNeverIntoTheOptions() throws Exception {
    String json =
        """
                {"mounts":[{"mountPoint":"oss://bkt/dir","name":"ds","options":{"fs.oss.endpoint":"oss-cn-hangzhou-internal.aliyuncs.com",
                  "fs.oss.accessKeyId":"LTAIinline","fs.oss.accessKeySecret":"inline-secret","fs.oss.securityToken":"tok"}}],
                 "targetPath":"%s"}"""
            .formatted(dir.resolve("t"));
    FluidPlan plan = FluidPlan.of(FluidConfig.parse(json, "c"), dir.resolve("run"), null, "raw");
    plan.prepare();
    assertFalse(plan.options().toJson().contains("inline-secret"), plan.options().toJson());
    assertFalse(plan.options().toJson().contains("LTAIinline"));
    Path cred = Path.of(plan.options().credDir());
    assertEquals("inline-secret", Files.readString(cred.resolve("fs.oss.accessKeySecret")));
    assertEquals("tok", Files.readString(cred.resolve("fs.oss.securityToken")));
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(
            Files.getPosixFilePermissions(cred.resolve("fs.oss.accessKeyId"))));
    assertFalse(
        FluidConfig.parse(json, "c").toString().contains("inline-secret"),
        "toString shows option names only");
  }

  @Test
  void encryptOptionsInDatasetShapeAndMapShapeAreSecretFiles() {
    String datasetShape =
        """
                {"mounts":[{"mountPoint":"oss://bkt","name":"a","options":{"fs.oss.endpoint":"https://oss-cn-beijing.aliyuncs.com"},
                  "encryptOptions":[{"name":"fs.oss.accessKeyId","valueFrom":{"secretKeyRef":{"name":"mysecret","key":"ak"}}},
                                    {"name":"fs.oss.accessKeySecret","valueFrom":{"secretKeyRef":{"name":"mysecret","key":"sk"}}}]}],
                 "targetPath":"/runtime-mnt/thin/ns/a/thin-fuse"}""";
    FluidConfig c = FluidConfig.parse(datasetShape, "c");
    assertEquals(
        Map.of(
            "fs.oss.accessKeyId",
            "/etc/fluid/secrets/mysecret/ak",
            "fs.oss.accessKeySecret",
            "/etc/fluid/secrets/mysecret/sk"),
        c.mounts().get(0).encryptOptions());
    String mapShape =
        """
                {"mounts":[{"mountPoint":"oss://bkt","name":"a","options":{"fs.oss.endpoint":"https://oss-cn-beijing.aliyuncs.com"},
                  "encryptOptions":{"fs.oss.accessKeyId":"/etc/fluid/secrets/s/id","fs.oss.accessKeySecret":"/etc/fluid/secrets/s/key"}}],
                 "targetPath":"/t"}""";
    assertEquals(
        "/etc/fluid/secrets/s/key",
        FluidConfig.parse(mapShape, "c")
            .mounts()
            .get(0)
            .encryptOptions()
            .get("fs.oss.accessKeySecret"));
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FluidPlan.of(FluidConfig.parse(mapShape, "c"), dir, null, "raw").prepare());
    assertTrue(
        e.getMessage()
            .startsWith(
                "secret option fs.oss.accessKeyId of mount 'a' names /etc/fluid/secrets/s/id, which is not a file"),
        e.getMessage());
  }

  @Test
  void twoMountsBecomeTwoDirectoriesOfOneMountEachWithItsOwnKeys() throws Exception {
    // Two Dataset mounts, as in Fluid's multi-mount samples: each sits under its name (or its
    // /path).
    Path secrets = secretVolume();
    String json =
        """
                {"mounts":[{"mountPoint":"oss://bkt-a/images","name":"images","options":{"fs.oss.endpoint":"http://a",
                             "fs.oss.accessKeyId":"%s/oss-secret/fs.oss.accessKeyId",
                             "fs.oss.accessKeySecret":"%s/oss-secret/fs.oss.accessKeySecret"}},
                           {"mountPoint":"oss://bkt-b/labels","name":"labels","path":"/lbl","options":{"fs.oss.endpoint":"http://b"}}],
                 "targetPath":"%s","accessModes":["ReadOnlyMany"]}"""
            .formatted(secrets, secrets, dir.resolve("t"));
    FluidConfig c = FluidConfig.parse(json, "c");
    assertEquals(
        List.of("images", "labels"), c.mounts().stream().map(FluidConfig.Mount::name).toList());
    FluidPlan plan = FluidPlan.of(c, dir.resolve("run"), null, "raw");
    List<MountSource> sources = plan.options().sources();
    assertEquals(2, sources.size());
    assertEquals(
        new MountSource(
            "images",
            "oss://bkt-a/images",
            "http://a",
            dir.resolve("run/images/credentials").toString(),
            SignatureVersion.V1,
            null),
        sources.get(0));
    assertEquals(
        new MountSource("lbl", "oss://bkt-b/labels", "http://b", null, SignatureVersion.V1, null),
        sources.get(1),
        "path /lbl names the directory; no keys: the environment");
    assertEquals(List.of(), plan.warnings());
    plan.prepare();
    assertEquals(
        "LTAIexampleid",
        Files.readString(dir.resolve("run/images/credentials/fs.oss.accessKeyId")).strip());
    assertEquals(
        plan.options(),
        MountOptions.fromJson(plan.options().toJson()),
        "the daemon's state file keeps the sources");

    String rootTwice =
        json.replace("\"name\":\"labels\",\"path\":\"/lbl\"", "\"name\":\"labels\",\"path\":\"/\"");
    assertEquals(
        "mount 'labels' has path / but the Dataset has several mounts: each needs its own directory (drop path, "
            + "or give /labels)",
        assertThrows(
                IllegalArgumentException.class,
                () -> FluidPlan.of(FluidConfig.parse(rootTwice, "c"), dir, null, "raw"))
            .getMessage());
    String sameDir = json.replace("\"path\":\"/lbl\"", "\"path\":\"/images\"");
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> FluidPlan.of(FluidConfig.parse(sameDir, "c"), dir, null, "raw"))
            .getMessage()
            .contains("both want the directory /images"));
  }

  @Test
  void unknownFieldsAreWarningsByNameNotErrors() {
    String json =
        """
                {"mounts":[{"mountPoint":"oss://bkt/d","name":"d","path":"/d","readOnly":true,"future":1,
                  "options":{"fs.oss.endpoint":"http://e","fs.oss.tuning":"secret-looking-value"}}],
                 "targetPath":"/t","persistentVolumeAttrs":{},"newTopLevel":{"x":1},"accessModes":["ReadWriteMany"]}""";
    FluidPlan plan = FluidPlan.of(FluidConfig.parse(json, "c"), dir, null, "raw");
    assertEquals(
        List.of(
            "ignoring unknown Fluid config field 'newTopLevel'",
            "the Dataset asks for ReadWriteMany; ossfuse is read-only, writes fail with EROFS",
            "mount 'd' has path /d; as the Dataset's only mount it is served at the root of /t",
            "ignoring option 'fs.oss.tuning' of mount 'd'"),
        plan.warnings().stream().filter(w -> !w.contains("mounts.d.future")).toList());
    assertTrue(
        plan.warnings().contains("ignoring unknown Fluid config field 'mounts.d.future'"),
        plan.warnings().toString());
    assertFalse(plan.warnings().toString().contains("secret-looking-value"));
    assertNull(plan.options().credDir(), "no keys: the environment (AK/SK, RRSA, ECS role)");
  }

  @Test
  void aTieredstoreBlockOrRuntimeOptionGivesTheCache() throws Exception {
    String json =
        """
                {"mounts":[{"mountPoint":"oss://bkt","name":"d","options":{"fs.oss.endpoint":"http://e"}}],"targetPath":"%s",
                 "tieredstore":{"levels":[{"mediumtype":"MEM","path":"%s","quota":"64Mi","high":"0.95","low":"0.7"}]}}"""
            .formatted(dir.resolve("t"), dir.resolve("cache"));
    FluidPlan plan = FluidPlan.of(FluidConfig.parse(json, "c"), dir.resolve("run"), null, "raw");
    plan.prepare();
    assertEquals(dir.resolve("run/tieredstore.yaml").toString(), plan.options().tieredstore());
    TieredStoreConfig ts = TieredStoreConfig.load(Path.of(plan.options().tieredstore()));
    assertEquals(Long.valueOf(64L << 20), ts.levels().get(0).quotas().get(0));
    String viaOption =
        """
                {"mounts":[{"mountPoint":"oss://bkt","name":"d","options":{"fs.oss.endpoint":"http://e"}}],"targetPath":"/t",
                 "runtimeOptions":{"tieredstore":"/etc/ossfuse/tieredstore.yaml"}}""";
    assertEquals(
        "/etc/ossfuse/tieredstore.yaml",
        FluidPlan.of(FluidConfig.parse(viaOption, "c"), dir, null, "raw").options().tieredstore());
    assertEquals(
        dir.resolve("x.yaml").toString(),
        FluidPlan.of(FluidConfig.parse(viaOption, "c"), dir, dir.resolve("x.yaml"), "raw")
            .options()
            .tieredstore(),
        "--tieredstore wins");
    // The YAML inline in ThinRuntime spec.fuse.options.tieredstore (a block scalar in the
    // manifest).
    String inline =
        """
                {"mounts":[{"mountPoint":"oss://bkt","name":"d","options":{"fs.oss.endpoint":"http://e"}}],"targetPath":"%s",
                 "runtimeOptions":{"tieredstore":"levels:\\n  - mediumtype: SSD\\n    path: %s\\n    quota: 1Gi\\n    high: 0.9\\n    low: 0.7\\n"}}"""
            .formatted(dir.resolve("t2"), dir.resolve("ssd"));
    FluidPlan p2 = FluidPlan.of(FluidConfig.parse(inline, "c"), dir.resolve("run2"), null, "raw");
    p2.prepare();
    assertEquals(
        Long.valueOf(1L << 30),
        TieredStoreConfig.load(Path.of(p2.options().tieredstore()))
            .levels()
            .get(0)
            .quotas()
            .get(0));
  }

  @Test
  void mistakesAreOneLineAndShowNoSecrets() {
    assertEquals(
        "Fluid config c has no targetPath: the FUSE mount has nowhere to go",
        assertThrows(
                IllegalArgumentException.class, () -> FluidConfig.parse("{\"mounts\":[]}", "c"))
            .getMessage());
    assertEquals(
        "Fluid config c has no mounts[]: give the Dataset an oss:// mount",
        assertThrows(
                IllegalArgumentException.class,
                () -> FluidConfig.parse("{\"targetPath\":\"/t\"}", "c"))
            .getMessage());
    String bad =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    FluidConfig.parse(
                        "{\"mounts\":[{\"options\":{\"fs.oss.accessKeySecret\":\"hunter2\" oops}}]}",
                        "c"))
            .getMessage();
    assertTrue(bad.startsWith("Fluid config c is not valid JSON (line 1, column "), bad);
    assertFalse(bad.contains("hunter2") || bad.contains("oops"), bad);
    assertEquals(
        "mount 'p': mountPoint 'pvc://my-claim' is not oss://bucket[/dir]; ossfuse serves OSS only",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    FluidPlan.of(
                        FluidConfig.parse(
                            "{\"mounts\":[{\"mountPoint\":\"pvc://my-claim\",\"name\":\"p\"}],\"targetPath\":\"/t\"}",
                            "c"),
                        dir,
                        null,
                        "raw"))
            .getMessage());
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    FluidPlan.of(
                        FluidConfig.parse(
                            "{\"mounts\":[{\"mountPoint\":\"oss://b\",\"name\":\"p\"}],\"targetPath\":\"/t\"}",
                            "c"),
                        dir,
                        null,
                        "raw"))
            .getMessage()
            .startsWith("mount 'p' has no fs.oss.endpoint option"));
    assertEquals(
        "mount 'p' has fs.oss.accessKeyId but no fs.oss.accessKeySecret: give both (encryptOptions from one Secret)",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    FluidPlan.of(
                        FluidConfig.parse(
                            "{\"mounts\":[{\"mountPoint\":\"oss://b\",\"name\":\"p\",\"options\":{\"fs.oss.endpoint\":\"http://e\","
                                + "\"fs.oss.accessKeyId\":\"LTAIx\"}}],\"targetPath\":\"/t\"}",
                            "c"),
                        dir,
                        null,
                        "raw"))
            .getMessage());
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> FluidConfig.locate(List.of(dir.resolve("none.json"))))
            .getMessage()
            .startsWith("no Fluid config at " + dir.resolve("none.json")));
  }

  @Test
  void theStateFileIsPerRuntime() {
    assertEquals(
        Path.of("/var/lib/ossfuse/fluid/default/oss-demo/state.json"),
        FluidCommand.defaultState(
            Map.of("FLUID_RUNTIME_NS", "default", "FLUID_RUNTIME_NAME", "oss-demo")));
    assertEquals(Path.of("/var/lib/ossfuse/state.json"), FluidCommand.defaultState(Map.of()));
  }
}
