package io.ossfuse.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.SELContext;
import com.github.dockerjava.api.model.Volume;
import io.ossfuse.localoss.LocalOssServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The product image started the way Fluid starts a ThinRuntime FUSE container (the command of
 * k8s/fluid/thinruntimeprofile.yaml, Fluid's config.json at /etc/fluid/config/, the Secret's files
 * at /etc/fluid/secrets/&lt;secret&gt;/, FLUID_RUNTIME_NS/NAME, the state dir on a host path, the
 * directory above targetPath shared both ways). Checks targetPath on the host through a FUSE child
 * kill (no failed read) and a kill and restart of the whole container (the mount comes back by
 * itself). Pod binds of targetPath and their re-attachment are not covered here.
 */
@Tag("container")
@EnabledIfSystemProperty(
    named = "ossfuse.dist.built",
    matches = "true",
    disabledReason = "needs the distribution: runs at integration-test, after package")
class FluidContainerIT {
  private static final Logger LOG = LoggerFactory.getLogger(FluidContainerIT.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private String image;

  @BeforeEach
  void requireEngineAndImage() {
    ContainerEngine.require();
    image = ProductImage.product();
  }

  @Test
  void thinRuntimeFuseServesTargetPathThroughAChildKillAndAContainerRestart() throws Exception {
    String content = "served to Fluid from the ossfuse image\n";
    Path ossRoot = Files.createTempDirectory("ossfuse-fluid-oss");
    try (LocalOssServer oss =
            LocalOssServer.builder().root(ossRoot).bucket("data").build().start();
        SharedHostDir shared = SharedHostDir.create("ossfuse-fluid-ct")) {
      Files.createDirectories(oss.bucketDir("data").resolve("ds"));
      Files.writeString(oss.bucketDir("data").resolve("ds/hello.txt"), content);
      Path secret = Files.createDirectories(shared.resolve("secret"));
      Files.writeString(secret.resolve("ak"), oss.accessKeyId());
      Files.writeString(secret.resolve("sk"), oss.accessKeySecret());
      Path target = shared.resolve("runtime-mnt/thin/default/ds/thin-fuse");
      Files.createDirectories(target.getParent());
      Path config = Files.createDirectories(shared.resolve("config")).resolve("config.json");
      // As Fluid's ThinRuntime writes it with ConfigMap storage (pkg/ddc/thin/transform_config.go).
      Files.writeString(
          config,
          """
                    {"mounts":[{"mountPoint":"oss://data/ds","options":{"fs.oss.endpoint":"%s",
                      "fs.oss.accessKeyId":"/etc/fluid/secrets/oss-secret/ak",
                      "fs.oss.accessKeySecret":"/etc/fluid/secrets/oss-secret/sk"},"name":"ds"}],
                     "targetPath":"%s","accessModes":["ReadOnlyMany"]}"""
              .formatted(oss.endpoint(), target));
      Path state = Files.createDirectories(shared.resolve("state"));

      try (GenericContainer<?> fuse =
          new GenericContainer<>(DockerImageName.parse(image))
              .withNetworkMode("host")
              .withLabel("io.ossfuse.test", "packaging")
              .withEnv("FLUID_RUNTIME_TYPE", "thin")
              .withEnv("FLUID_RUNTIME_NS", "default")
              .withEnv("FLUID_RUNTIME_NAME", "ds")
              .withCreateContainerCmdModifier(
                  cmd -> {
                    cmd.withEntrypoint("/usr/bin/tini", "--", "/opt/ossfuse/bin/ossfuse", "fluid");
                    cmd.getHostConfig()
                        .withCapAdd(Capability.SYS_ADMIN)
                        .withDevices(Device.parse("/dev/fuse"))
                        .withBinds(
                            ContainerIT.rshared(shared.path()),
                            readOnly(config.getParent(), "/etc/fluid/config"),
                            readOnly(secret, "/etc/fluid/secrets/oss-secret"),
                            new Bind(state.toString(), new Volume("/var/lib/ossfuse/fluid")));
                  })) {
        fuse.start();
        Path file = target.resolve("hello.txt");
        try {
          HostReads.awaitContent(file, content, Duration.ofSeconds(90));
        } catch (AssertionError e) {
          throw new AssertionError(e.getMessage() + "\ncontainer log:\n" + fuse.getLogs(), e);
        }
        assertTrue(
            Files.exists(state.resolve("default/ds/state.json")),
            "state file per runtime on the host path");

        // The steady state a crash meets: a serving child and its pre-started standby.
        long child = childPid(fuse, target, -1, true);
        awaitStandbyWarm(fuse, target);
        try (ReaderLoop reader = new ReaderLoop(file, content)) {
          reader.awaitGoodReads(3, 10_000);
          long killed = System.nanoTime();
          exec(fuse, "kill", "-9", Long.toString(child));
          childPid(fuse, target, child, false);
          reader.awaitGoodReads(5, 60_000);
          LOG.info(
              "SIGKILL of FUSE child {}: 5 good host reads {} ms later, {} failed (last error: {})",
              child,
              (System.nanoTime() - killed) / 1_000_000,
              reader.failed(),
              reader.lastError());
          assertEquals(
              0,
              reader.failed(),
              "host reads of targetPath failed while the FUSE child was replaced ("
                  + reader.lastError()
                  + ", empty: a read stalled > 5 s)\ncontainer log:\n"
                  + fuse.getLogs());
        }

        DockerClient docker = DockerClientFactory.instance().client();
        String id = fuse.getContainerId();
        long pid1 = docker.inspectContainerCmd(id).exec().getState().getPidLong();
        ProcessHandle.of(pid1).orElseThrow().destroyForcibly();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (Boolean.TRUE.equals(docker.inspectContainerCmd(id).exec().getState().getRunning())) {
          assertTrue(
              System.nanoTime() < deadline, "container still running after its PID 1 was killed");
          Thread.sleep(100);
        }
        String error = HostReads.awaitFailure(file, Duration.ofSeconds(10));
        assertTrue(error.contains("Transport endpoint is not connected"), error);
        long restart = System.nanoTime();
        docker.startContainerCmd(id).exec();
        try {
          HostReads.awaitContent(file, content, Duration.ofSeconds(90));
        } catch (AssertionError e) {
          throw new AssertionError(e.getMessage() + "\ncontainer log:\n" + fuse.getLogs(), e);
        }
        LOG.info(
            "targetPath read back {} ms after the FUSE container was started again",
            (System.nanoTime() - restart) / 1_000_000);
      }
    } finally {
      try (var walk = Files.walk(ossRoot)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static Bind readOnly(Path host, String inContainer) {
    return new Bind(host.toString(), new Volume(inContainer), AccessMode.ro, SELContext.none);
  }

  private static String exec(GenericContainer<?> c, String... command) throws Exception {
    ExecResult r = c.execInContainer(command);
    assertEquals(
        0,
        r.getExitCode(),
        String.join(" ", command)
            + " failed: "
            + r.getStdout()
            + r.getStderr()
            + "\ncontainer log:\n"
            + c.getLogs());
    return r.getStdout();
  }

  /**
   * Waits until the standby says it is warm (its "serving ... (standby)" line in the mount's log):
   * a kill before that meets a standby still starting its JVM, and a fresh child is started
   * instead.
   */
  static void awaitStandbyWarm(GenericContainer<?> c, Path mountpoint) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      for (JsonNode m : JSON.readTree(exec(c, "ossfuse", "status", "--json"))) {
        if (!m.path("mountpoint").asText().equals(mountpoint.toString())
            || !m.path("standbyPid").canConvertToLong()) continue;
        String line = "ossfuse child " + m.path("standbyPid").asLong() + ": serving .*(standby)";
        if (c.execInContainer("sh", "-c", "grep -q '" + line + "' /var/log/ossfuse/*.log")
                .getExitCode()
            == 0) return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the standby child never became warm\ncontainer log:\n" + c.getLogs());
  }

  /**
   * The serving child's pid once the mount is healthy, other than {@code not} (and with a standby
   * ready).
   */
  static long childPid(GenericContainer<?> c, Path mountpoint, long not, boolean withStandby)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode found = null;
    while (System.nanoTime() < deadline) {
      for (JsonNode m : JSON.readTree(exec(c, "ossfuse", "status", "--json"))) {
        if (!m.path("mountpoint").asText().equals(mountpoint.toString())) continue;
        found = m;
        if ("HEALTHY".equals(m.path("state").asText())
            && m.path("childPid").canConvertToLong()
            && m.path("childPid").asLong() != not
            && (!withStandby || m.path("standbyPid").canConvertToLong())) {
          return m.path("childPid").asLong();
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "mount never became healthy: " + found + "\ncontainer log:\n" + c.getLogs());
  }
}
