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
import com.github.dockerjava.api.model.PropagationMode;
import com.github.dockerjava.api.model.SELContext;
import com.github.dockerjava.api.model.Volume;
import io.ossfuse.localoss.LocalOssServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The product's container image, built from its own Dockerfile over the built distribution and run
 * for real (podman through its Docker API; see scripts/setup-podman).
 */
@Tag("container")
@EnabledIfSystemProperty(
    named = "ossfuse.dist.built",
    matches = "true",
    disabledReason = "needs the distribution: runs at integration-test, after package")
class ContainerIT {
  private static final Logger LOG = LoggerFactory.getLogger(ContainerIT.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static String image;

  /** Per test, not @BeforeAll: a skip then shows on every test with its reason. */
  @BeforeEach
  void requireEngineAndImage() {
    ContainerEngine.require();
    image = ProductImage.product();
  }

  @Test
  void imageRunsTheLauncher() throws Exception {
    try (GenericContainer<?> c = idle(null)) {
      c.start();
      ExecResult help = c.execInContainer("ossfuse", "--help");
      assertEquals(0, help.getExitCode(), help.getStdout() + help.getStderr());
      assertTrue(
          help.getStdout().contains("daemon"),
          "usage lists the daemon command:\n" + help.getStdout());
      ExecResult java = c.execInContainer("java", "-version");
      assertTrue(java.getStderr().contains("version \"17"), java.getStderr());
      ExecResult fusermount = c.execInContainer("fusermount3", "-V");
      assertEquals(0, fusermount.getExitCode(), fusermount.getStderr());
    }
  }

  /**
   * The Bidirectional/rshared path with a real FUSE mount and no daemon: `ossfuse mount
   * --foreground` in the container, served from the local OSS endpoint on the host, is readable on
   * the host; when the container dies the host keeps a dead mount (ENOTCONN) — the seed's failure,
   * which the daemon test below then heals.
   */
  @Test
  void fuseMountInsideTheContainerServesTheHostAndDiesWithIt() throws Exception {
    String content = "read on the host, served in the container\n";
    Path ossRoot = Files.createTempDirectory("ossfuse-ct-oss");
    try (LocalOssServer oss =
            LocalOssServer.builder().root(ossRoot).bucket("data").build().start();
        SharedHostDir shared = SharedHostDir.create("ossfuse-ct");
        GenericContainer<?> c = idle(shared)) {
      Files.createDirectories(oss.bucketDir("data").resolve("ds"));
      Files.writeString(oss.bucketDir("data").resolve("ds/hello.txt"), content);
      Path cred = credentials(shared, oss);
      Path mnt = Files.createDirectories(shared.resolve("mnt"));
      c.start();
      exec(
          c,
          "sh",
          "-c",
          "nohup ossfuse mount --foreground oss://data/ds "
              + mnt
              + " --endpoint "
              + oss.endpoint()
              + " --cred-dir "
              + cred
              + " >"
              + shared.resolve("mount.log")
              + " 2>&1 &");
      try {
        HostReads.awaitContent(mnt.resolve("hello.txt"), content, Duration.ofSeconds(60));
      } catch (AssertionError e) {
        throw new AssertionError(
            e.getMessage() + "\nmount log:\n" + Files.readString(shared.resolve("mount.log")), e);
      }
      assertTrue(shared.mountsUnder().contains(mnt.toString()), "host mount table lacks " + mnt);

      DockerClientFactory.instance()
          .client()
          .killContainerCmd(c.getContainerId())
          .withSignal("KILL")
          .exec();
      String error = HostReads.awaitFailure(mnt.resolve("hello.txt"), Duration.ofSeconds(20));
      assertTrue(error.contains("Transport endpoint is not connected"), error);
    } finally {
      deleteTree(ossRoot);
    }
  }

  /** A credentials directory (Secret layout) on the shared dir, readable in the container. */
  private static Path credentials(SharedHostDir shared, LocalOssServer oss) throws IOException {
    Path cred = Files.createDirectories(shared.resolve("cred"));
    Files.writeString(cred.resolve("fs.oss.accessKeyId"), oss.accessKeyId());
    Files.writeString(cred.resolve("fs.oss.accessKeySecret"), oss.accessKeySecret());
    return cred;
  }

  /**
   * The seed's scenario with the product image. The daemon runs in the container with the host's
   * shared directory as the "kubelet pods" root and its state file on a host volume; it mounts a
   * dataset from a local OSS endpoint on the host and binds it into a pod volume path. Then: (1)
   * the FUSE child is SIGKILLed inside the container, (2) the container's PID 1 is SIGKILLed from
   * the host — which leaves dead mounts on the host, as in the seed — and the container started
   * again. The pod volume path on the host must read the right data again after each.
   */
  @ParameterizedTest(name = "transport {0}")
  @ValueSource(strings = {"raw", "jnr"})
  void podVolumePathHealsAfterFuseChildKillAndAfterContainerKill(String transport)
      throws Exception {
    String content = "hello from oss through the container\n";
    Path ossRoot = Files.createTempDirectory("ossfuse-ct-oss");
    try (LocalOssServer oss =
            LocalOssServer.builder().root(ossRoot).bucket("data").build().start();
        SharedHostDir shared = SharedHostDir.create("ossfuse-ct")) {
      Files.createDirectories(oss.bucketDir("data").resolve("ds"));
      Files.writeString(oss.bucketDir("data").resolve("ds/hello.txt"), content);
      Path cred = credentials(shared, oss);
      Path mountpoint = Files.createDirectories(shared.resolve("mnt/ds"));
      Path podRoot = Files.createDirectories(shared.resolve("pods"));
      Path target = podRoot.resolve("uid-1/volumes/kubernetes.io~csi/pv-1/mount");
      Files.createDirectories(target);
      Path stateFile = shared.resolve("state/state.json");
      Files.createDirectories(stateFile.getParent());

      try (GenericContainer<?> daemon =
          daemon(
              shared,
              "--allowed-root",
              podRoot.toString(),
              "--state",
              stateFile.toString(),
              "--log-dir",
              shared.resolve("logs").toString())) {
        daemon.start();
        awaitSocket(daemon);
        exec(
            daemon,
            "ossfuse",
            "mount",
            "oss://data/ds",
            mountpoint.toString(),
            "--transport",
            transport,
            "--endpoint",
            oss.endpoint(),
            "--cred-dir",
            cred.toString());
        exec(daemon, "ossfuse", "bind", mountpoint.toString(), target.toString());
        Path file = target.resolve("hello.txt");
        HostReads.awaitContent(file, content, Duration.ofSeconds(30));

        // 1. The FUSE child dies inside the container, under a reader on the host.
        long child = childPid(daemon, mountpoint);
        int failedReads;
        try (ReaderLoop reader = new ReaderLoop(file, content)) {
          reader.awaitGoodReads(3, 10_000);
          long killed = System.nanoTime();
          exec(daemon, "kill", "-9", Long.toString(child));
          long next = childPid(daemon, mountpoint, child);
          reader.awaitGoodReads(5, 60_000);
          failedReads = reader.failed();
          LOG.info(
              "transport {}: SIGKILL of FUSE child {}: new child {} healthy and 5 good host reads {} ms"
                  + " later; failed host reads: {} (last error: {})",
              transport,
              child,
              next,
              (System.nanoTime() - killed) / 1_000_000,
              failedReads,
              reader.lastError());
        }
        if (transport.equals("raw")) {
          // The daemon holds the /dev/fuse connection: a child crash never shows as an error.
          assertEquals(
              0, failedReads, "reads on the host failed while the FUSE child was replaced");
        }

        // 2. The container's PID 1 dies (as when the node agent kills the FUSE pod), then it
        // restarts.
        DockerClient docker = DockerClientFactory.instance().client();
        String id = daemon.getContainerId();
        long pid1 = docker.inspectContainerCmd(id).exec().getState().getPidLong();
        ProcessHandle.of(pid1).orElseThrow().destroyForcibly();
        awaitStopped(docker, id);
        String error = HostReads.awaitFailure(file, Duration.ofSeconds(10));
        assertTrue(
            error.contains("Transport endpoint is not connected"),
            "the dead container leaves a dead mount on the host: " + error);
        long restart = System.nanoTime();
        docker.startContainerCmd(id).exec();
        HostReads.awaitContent(file, content, Duration.ofSeconds(90));
        LOG.info(
            "after SIGKILL of the container's PID 1 (host pid {}): host path read back {} ms after the"
                + " container was started again",
            pid1,
            (System.nanoTime() - restart) / 1_000_000);
        JsonNode mount = status(daemon, mountpoint);
        assertEquals("HEALTHY", mount.path("state").asText(), mount.toString());
        assertTrue(mount.path("targets").path(0).path("healthy").asBoolean(), mount.toString());
      }
    } finally {
      deleteTree(ossRoot);
    }
  }

  /** The product's entrypoint (tini → ossfuse daemon) with these daemon flags. */
  private static GenericContainer<?> daemon(SharedHostDir shared, String... flags) {
    return new GenericContainer<>(DockerImageName.parse(image))
        .withNetworkMode("host")
        .withLabel("io.ossfuse.test", "packaging")
        .withCommand(flags)
        .withCreateContainerCmdModifier(
            cmd ->
                cmd.getHostConfig()
                    .withCapAdd(Capability.SYS_ADMIN)
                    .withDevices(Device.parse("/dev/fuse"))
                    .withBinds(rshared(shared.path())));
  }

  private static void awaitSocket(GenericContainer<?> c) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (c.execInContainer("test", "-S", DaemonDefaults.CONTROL_SOCKET).getExitCode() == 0) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("daemon socket did not appear; container log:\n" + c.getLogs());
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

  private static JsonNode status(GenericContainer<?> c, Path mountpoint) throws Exception {
    JsonNode mounts = JSON.readTree(exec(c, "ossfuse", "status", "--json"));
    for (JsonNode m : mounts) {
      if (m.path("mountpoint").asText().equals(mountpoint.toString())) {
        return m;
      }
    }
    throw new AssertionError("status does not list " + mountpoint + ": " + mounts);
  }

  /** The serving child's pid (in the container's pid namespace) once the mount is healthy. */
  private static long childPid(GenericContainer<?> c, Path mountpoint) throws Exception {
    return childPid(c, mountpoint, -1);
  }

  /** Like {@link #childPid(GenericContainer, Path)}, waiting for a child other than {@code not}. */
  private static long childPid(GenericContainer<?> c, Path mountpoint, long not) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode m = null;
    while (System.nanoTime() < deadline) {
      m = status(c, mountpoint);
      if ("HEALTHY".equals(m.path("state").asText())
          && m.path("childPid").canConvertToLong()
          && m.path("childPid").asLong() != not) {
        return m.path("childPid").asLong();
      }
      Thread.sleep(200);
    }
    throw new AssertionError("mount never became healthy: " + m);
  }

  private static void awaitStopped(DockerClient docker, String id) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!Boolean.TRUE.equals(docker.inspectContainerCmd(id).exec().getState().getRunning())) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("container " + id + " still running after its PID 1 was killed");
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * The host directory at the same path inside, with rshared propagation (Kubernetes:
   * Bidirectional). Not Bind.parse("a:b:rshared"): docker-java drops the propagation mode there.
   */
  static Bind rshared(Path dir) {
    return new Bind(
        dir.toString(),
        new Volume(dir.toString()),
        AccessMode.rw,
        SELContext.none,
        null,
        PropagationMode.RSHARED);
  }

  /**
   * A container of the image that sleeps, with FUSE rights, the host network and the shared dir.
   */
  private static GenericContainer<?> idle(SharedHostDir shared) {
    return new GenericContainer<>(DockerImageName.parse(image))
        .withNetworkMode("host")
        .withLabel("io.ossfuse.test", "packaging")
        .withCreateContainerCmdModifier(
            cmd -> {
              cmd.withEntrypoint("sleep", "infinity");
              cmd.getHostConfig()
                  .withCapAdd(Capability.SYS_ADMIN)
                  .withDevices(Device.parse("/dev/fuse"));
              if (shared != null) {
                cmd.getHostConfig().withBinds(rshared(shared.path()));
              }
            });
  }
}
