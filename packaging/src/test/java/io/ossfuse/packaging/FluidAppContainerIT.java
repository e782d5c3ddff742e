package io.ossfuse.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.PropagationMode;
import com.github.dockerjava.api.model.SELContext;
import com.github.dockerjava.api.model.Volume;
import io.ossfuse.localoss.LocalOssServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * The seed's scenario end to end in containers, as on a Fluid node, with no {@code ossfuse bind}
 * anywhere. The product image runs as a ThinRuntime FUSE ({@code ossfuse fluid}, Fluid's
 * config.json and Secret files, the state dir on a host path, the host dir above targetPath shared
 * both ways); the "CSI plugin" binds targetPath into a pod volume path and a sub-directory of it
 * into a subPath path with plain {@code mount --bind} on the host; an app container reads both
 * every second ({@code ls -l}, mountPropagation HostToContainer = rslave) and is never restarted.
 * Then the FUSE child is SIGKILLed 10 times ({@code -Dfluid.app.childKills=N}), the daemon is
 * SIGKILLed (the container ends with it, and is started again as the kubelet would), and the
 * container's PID 1 is SIGKILLed and the container started again. Records, per kind of kill, the
 * app's error lines and its longest gap between good listings; at the end the subPath bind's owner
 * unmounts it and the daemon forgets it.
 *
 * <pre>
 * SHARED/runtime-mnt/thin/default/ds/thin-fuse        targetPath (FUSE, in the container)
 * SHARED/pods/uid-1/volumes/kubernetes.io~csi/ds/mount  mount --bind targetPath      → app /data
 * SHARED/pods/uid-1/volume-subpaths/ds/app/0            mount --bind targetPath/sub  → app /sub
 * </pre>
 */
@Tag("container")
@EnabledIfSystemProperty(
    named = "ossfuse.dist.built",
    matches = "true",
    disabledReason = "needs the distribution: runs at integration-test, after package")
class FluidAppContainerIT {
  private static final Logger LOG = LoggerFactory.getLogger(FluidAppContainerIT.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHILD_KILLS = Integer.getInteger("fluid.app.childKills", 10);

  /**
   * The app's loop: one line per path and round, "<epoch ms> ok <path>" or "<epoch ms> err <path>
   * <error>".
   */
  private static final String APP_LOOP =
      "while true; do for d in /data /sub; do t=$(date +%s%3N); "
          + "if out=$(ls -l $d 2>&1) && echo \"$out\" | grep -q txt; then echo \"$t ok $d\"; "
          + "else echo \"$t err $d $(echo \"$out\" | head -n 1)\"; fi; done; sleep 1; done";

  private String image;

  @BeforeEach
  void requireEngineAndImage() {
    ContainerEngine.require();
    image = ProductImage.product();
  }

  @Test
  void appReadingAdoptedBindsSeesNoErrorOnChildKillsAndHealsAfterContainerRestarts()
      throws Exception {
    Path ossRoot = Files.createTempDirectory("ossfuse-fluid-app-oss");
    try (LocalOssServer oss =
            LocalOssServer.builder().root(ossRoot).bucket("data").build().start();
        SharedHostDir shared = SharedHostDir.create("ossfuse-fluid-app")) {
      Files.createDirectories(oss.bucketDir("data").resolve("ds/sub"));
      Files.writeString(oss.bucketDir("data").resolve("ds/hello.txt"), "top\n");
      Files.writeString(oss.bucketDir("data").resolve("ds/sub/inner.txt"), "inner\n");
      Path secret = Files.createDirectories(shared.resolve("secret"));
      Files.writeString(secret.resolve("ak"), oss.accessKeyId());
      Files.writeString(secret.resolve("sk"), oss.accessKeySecret());
      Path target = shared.resolve("runtime-mnt/thin/default/ds/thin-fuse");
      Files.createDirectories(target.getParent());
      Path pods = Files.createDirectories(shared.resolve("pods"));
      Path volume =
          Files.createDirectories(pods.resolve("uid-1/volumes/kubernetes.io~csi/ds/mount"));
      Path subPath = Files.createDirectories(pods.resolve("uid-1/volume-subpaths/ds/app/0"));
      Path config = Files.createDirectories(shared.resolve("config")).resolve("config.json");
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
              // the pods' root as the container sees it (on a node: /var/lib/kubelet/pods, the
              // default)
              .withEnv("OSSFUSE_ALLOWED_ROOT", pods.toString())
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
        awaitHostRead(fuse, target.resolve("hello.txt"));

        // Fluid's CSI NodePublishVolume and the kubelet's subPath bind: plain binds on the host.
        Cmd.run(List.of("mount", "--bind", target.toString(), volume.toString())).expectSuccess();
        Cmd.run(List.of("mount", "--bind", target.resolve("sub").toString(), subPath.toString()))
            .expectSuccess();
        awaitAdopted(fuse, target, volume, subPath);

        try (GenericContainer<?> app =
            new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host")
                .withLabel("io.ossfuse.test", "packaging")
                .withCreateContainerCmdModifier(
                    cmd -> {
                      cmd.withEntrypoint("sh", "-c", APP_LOOP);
                      cmd.getHostConfig()
                          .withBinds(
                              hostToContainer(volume, "/data"), hostToContainer(subPath, "/sub"));
                    })) {
          app.start();
          AppLog.awaitOk(app, System.currentTimeMillis(), Duration.ofSeconds(60));
          String appStarted = inspect(app).getState().getStartedAt();
          List<String> figures = new ArrayList<>();

          // 1. The FUSE child, 10 times: the first once its pre-started standby is warm (the steady
          // state), the others as soon as the next standby has started (it takes over once up).
          long from = System.currentTimeMillis();
          long child = FluidContainerIT.childPid(fuse, target, -1, true);
          FluidContainerIT.awaitStandbyWarm(fuse, target);
          for (int i = 0; i < CHILD_KILLS; i++) {
            if (i > 0) child = FluidContainerIT.childPid(fuse, target, child, true);
            exec(fuse, "kill", "-9", Long.toString(child));
          }
          FluidContainerIT.childPid(fuse, target, child, false);
          AppLog.Phase kills =
              AppLog.phase(
                  app,
                  from,
                  AppLog.awaitOk(app, System.currentTimeMillis(), Duration.ofSeconds(60)));
          figures.add(
              CHILD_KILLS
                  + " FUSE child SIGKILLs ("
                  + (System.currentTimeMillis() - from) / 1000
                  + " s): "
                  + kills);
          assertEquals(
              0,
              kills.errors(),
              "the app saw errors while FUSE children were killed: "
                  + kills.errorLines()
                  + "\nfuse container log:\n"
                  + fuse.getLogs());

          // 2. The daemon: tini and the whole container end with it; started again as the kubelet
          // would.
          figures.add(
              "daemon SIGKILL, container started again: "
                  + restart(
                      fuse,
                      app,
                      target,
                      volume,
                      subPath,
                      () -> exec(fuse, "sh", "-c", "kill -9 $(cat /proc/1/task/1/children)")));

          // 3. The container's PID 1, from the host.
          DockerClient docker = DockerClientFactory.instance().client();
          long pid1 =
              docker.inspectContainerCmd(fuse.getContainerId()).exec().getState().getPidLong();
          figures.add(
              "container PID 1 SIGKILL, started again: "
                  + restart(
                      fuse,
                      app,
                      target,
                      volume,
                      subPath,
                      () -> ProcessHandle.of(pid1).orElseThrow().destroyForcibly()));

          InspectContainerResponse a = inspect(app);
          assertTrue(
              Boolean.TRUE.equals(a.getState().getRunning())
                  && appStarted.equals(a.getState().getStartedAt()),
              "the app container was never restarted: " + a.getState());
          for (String f : figures) {
            LOG.info("FLUID APP {}", f);
            System.out.println("FLUID APP " + f);
          }

          // NodeUnpublishVolume: the owner unmounts; the daemon forgets the adopted bind.
          Cmd.run(List.of("umount", subPath.toString())).expectSuccess();
          awaitTargets(fuse, target, List.of(volume));
        }
      }
    } finally {
      try (var walk = Files.walk(ossRoot)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  interface Kill {
    void run() throws Exception;
  }

  /**
   * Kills the FUSE container by {@code kill}, starts it again once it stopped and waits until the
   * app reads both paths again; the app's errors and longest gap from the kill on.
   */
  private AppLog.Phase restart(
      GenericContainer<?> fuse,
      GenericContainer<?> app,
      Path target,
      Path volume,
      Path subPath,
      Kill kill)
      throws Exception {
    FluidContainerIT.childPid(fuse, target, -1, false);
    long from = System.currentTimeMillis();
    kill.run();
    DockerClient docker = DockerClientFactory.instance().client();
    String id = fuse.getContainerId();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (Boolean.TRUE.equals(docker.inspectContainerCmd(id).exec().getState().getRunning())) {
      assertTrue(System.nanoTime() < deadline, "the FUSE container still runs after the kill");
      Thread.sleep(100);
    }
    long started = System.currentTimeMillis();
    docker.startContainerCmd(id).exec();
    long healed;
    long mountBack;
    try {
      // when targetPath serves again on the host: the JVMs' start is behind us, the re-attach ahead
      HostReads.awaitContent(target.resolve("hello.txt"), "top\n", Duration.ofSeconds(120));
      mountBack = System.currentTimeMillis();
      healed = AppLog.awaitOk(app, started, Duration.ofSeconds(60));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nfuse container log:\n" + fuse.getLogs(), e);
    }
    awaitAdopted(fuse, target, volume, subPath);
    AppLog.Phase p = AppLog.phase(app, from, healed);
    return new AppLog.Phase(
        p.errors(),
        p.errorLines(),
        p.longestGapMs(),
        " (targetPath served again "
            + (mountBack - started)
            + " ms after the container start, the app read both paths "
            + Math.max(0, healed - mountBack)
            + " ms after that, polling every second)");
  }

  private static Bind readOnly(Path host, String inContainer) {
    return new Bind(host.toString(), new Volume(inContainer), AccessMode.ro, SELContext.none);
  }

  /** A pod volume as the kubelet gives it with mountPropagation: HostToContainer. */
  private static Bind hostToContainer(Path host, String inContainer) {
    return new Bind(
        host.toString(),
        new Volume(inContainer),
        AccessMode.ro,
        SELContext.none,
        null,
        PropagationMode.RSLAVE);
  }

  private static InspectContainerResponse inspect(GenericContainer<?> c) {
    return DockerClientFactory.instance().client().inspectContainerCmd(c.getContainerId()).exec();
  }

  private static void awaitHostRead(GenericContainer<?> fuse, Path file)
      throws InterruptedException {
    try {
      HostReads.awaitContent(file, "top\n", Duration.ofSeconds(90));
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\ncontainer log:\n" + fuse.getLogs(), e);
    }
  }

  /** Waits until the daemon lists exactly these targets, all adopted and healthy. */
  private static void awaitAdopted(GenericContainer<?> fuse, Path target, Path... targets)
      throws Exception {
    awaitTargets(fuse, target, List.of(targets));
  }

  private static void awaitTargets(GenericContainer<?> fuse, Path mountpoint, List<Path> expected)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      for (JsonNode m : JSON.readTree(exec(fuse, "ossfuse", "status", "--json"))) {
        if (!m.path("mountpoint").asText().equals(mountpoint.toString())) continue;
        last = m;
        List<String> adopted = new ArrayList<>();
        for (JsonNode t : m.path("targets")) {
          if (t.path("adopted").asBoolean() && t.path("healthy").asBoolean())
            adopted.add(t.path("target").asText());
        }
        if (m.path("targets").size() == expected.size()
            && adopted.containsAll(expected.stream().map(Path::toString).toList())) {
          return;
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "targets "
            + expected
            + " not adopted and healthy; last status "
            + last
            + "\ncontainer log:\n"
            + fuse.getLogs());
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
}
