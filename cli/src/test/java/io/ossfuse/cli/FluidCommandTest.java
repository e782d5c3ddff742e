package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.recovery.ControlClient;
import io.ossfuse.recovery.ControlRequest;
import io.ossfuse.recovery.ControlResponse;
import io.ossfuse.recovery.MountStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ossfuse fluid} as a Fluid ThinRuntime FUSE container runs it: a real process reading a
 * Fluid-format config.json whose keys are Secret files (Fluid's default ConfigMap storage), serving
 * a local-oss bucket over real FUSE at targetPath with the raw transport under the in-process
 * daemon.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FluidCommandTest {
  private Path work;
  private Process proc;
  private Path socket;
  private Path target;
  private final List<Long> children = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    try {
      if (socket != null && proc != null && proc.isAlive()) {
        try {
          new ControlClient(socket).send(ControlRequest.umount(target.toString(), true));
        } catch (IOException ignored) {
          // daemon gone; the lazy unmount below still runs
        }
      }
    } finally {
      if (proc != null && proc.isAlive()) {
        proc.destroy();
        if (!proc.waitFor(20, TimeUnit.SECONDS)) proc.destroyForcibly().waitFor();
      }
      for (long pid : children) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      if (target != null && MountInfo.isMounted(target)) {
        new ProcessBuilder("umount", "-l", target.toString())
            .redirectErrorStream(true)
            .start()
            .waitFor(10, TimeUnit.SECONDS);
      }
      if (work != null && (target == null || !MountInfo.isMounted(target)))
        DemoCommand.deleteTree(work);
    }
  }

  @Test
  void servesTheDatasetAtTargetPathFromFluidsConfig() throws Exception {
    work = Files.createTempDirectory(Path.of("/tmp"), "fluid-it-");
    try (LocalOssServer oss =
        LocalOssServer.builder().root(work.resolve("oss")).bucket("fluid-bkt").build().start()) {
      Path data = Files.createDirectories(oss.bucketDir("fluid-bkt").resolve("datasets/set1/sub"));
      Files.writeString(data.getParent().resolve("hello.txt"), "hello from fluid");
      Files.writeString(data.resolve("deep.txt"), "deep");
      // The Secret volume Fluid mounts at /etc/fluid/secrets/<secret>/ (here under work/).
      Path secret = Files.createDirectories(work.resolve("secrets/oss-secret"));
      Files.writeString(secret.resolve("ak"), oss.accessKeyId() + "\n");
      Files.writeString(secret.resolve("sk"), oss.accessKeySecret() + "\n");
      target = work.resolve("runtime-mnt/thin/default/set1/thin-fuse");
      // pkg/ddc/thin/transform_config.go, ConfigMap storage: encryptOptions became file-path
      // options.
      Path config = work.resolve("fluid/config.json");
      Files.createDirectories(config.getParent());
      Files.writeString(
          config,
          """
                    {"mounts":[{"mountPoint":"oss://fluid-bkt/datasets/set1","options":{"fs.oss.endpoint":"%s",
                      "fs.oss.accessKeyId":"%s","fs.oss.accessKeySecret":"%s"},"name":"set1","path":"/"}],
                     "targetPath":"%s","runtimeOptions":{"uid":"1000","allow_other":"","not-an-option":"x"},
                     "accessModes":["ReadOnlyMany"]}"""
              .formatted(oss.endpoint(), secret.resolve("ak"), secret.resolve("sk"), target));
      List<String> seen = new ArrayList<>();
      String mounted = start(config, seen);
      assertNotNull(mounted, "no 'ossfuse fluid:' line; output: " + seen);
      assertTrue(
          mounted.startsWith("ossfuse fluid: mounted oss://fluid-bkt/datasets/set1 on " + target),
          mounted);

      assertEquals("hello from fluid", Files.readString(target.resolve("hello.txt")));
      assertEquals("deep", Files.readString(target.resolve("sub/deep.txt")));
      MountInfo.Entry e = MountInfo.find(target).orElseThrow();
      assertEquals("fuse.ossfuse", e.fsType(), "the fileSystemType a ThinRuntimeProfile names");
      assertTrue(List.of(e.options().split(",")).contains("ro"), e.options());
      assertEquals(1000, Files.getAttribute(target.resolve("hello.txt"), "unix:uid"));

      ControlResponse st = new ControlClient(socket).send(ControlRequest.status());
      MountStatus m = st.mounts().get(0);
      children.add(m.childPid());
      assertEquals(
          "raw", m.transport(), "the daemon holds the connection: a FUSE child crash is a pause");
      String everything =
          String.join("\n", seen) + Files.readString(work.resolve("state/state.json"));
      assertFalse(everything.contains(oss.accessKeySecret()), "no secret in output or state");
      assertTrue(
          seen.stream().anyMatch(l -> l.contains("ignoring runtime option 'not-an-option'")),
          seen.toString());
      assertEquals(
          1,
          seen.stream().filter(l -> l.contains("not-an-option")).count(),
          "logged once: " + seen);
    }
  }

  /**
   * Starts {@code ossfuse fluid} on {@code config}; returns its "ossfuse fluid: ..." line (null if
   * none in 90 s).
   */
  private String start(Path config, List<String> seen) throws Exception {
    socket = work.resolve("run/ossfuse.sock");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    proc =
        new ProcessBuilder(
                java,
                "-Dfile.encoding=UTF-8",
                "-cp",
                System.getProperty("java.class.path"),
                "io.ossfuse.cli.Main",
                "fluid",
                "--fluid-config",
                config.toString(),
                "--run-dir",
                work.resolve("run/fluid").toString(),
                "--socket",
                socket.toString(),
                "--state",
                work.resolve("state/state.json").toString(),
                "--log-dir",
                work.resolve("logs").toString())
            .redirectErrorStream(true)
            .start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
                out.lines().forEach(lines::add);
              } catch (IOException | RuntimeException ignored) {
                // pipe closed
              }
            });
    reader.setDaemon(true);
    reader.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline && (proc.isAlive() || !lines.isEmpty())) {
      String l = lines.poll(1, TimeUnit.SECONDS);
      if (l == null) continue;
      seen.add(l);
      if (l.startsWith("ossfuse fluid: ")) return l;
    }
    return null;
  }

  @Test
  void servesTwoDatasetMountsUnderTheirNamesInOneFuseMount() throws Exception {
    work = Files.createTempDirectory(Path.of("/tmp"), "fluid-it-");
    try (LocalOssServer oss =
        LocalOssServer.builder()
            .root(work.resolve("oss"))
            .bucket("bkt-a")
            .bucket("bkt-b")
            .build()
            .start()) {
      Files.createDirectories(oss.bucketDir("bkt-a").resolve("train/sub"));
      Files.writeString(oss.bucketDir("bkt-a").resolve("train/cat.txt"), "meow");
      Files.writeString(oss.bucketDir("bkt-a").resolve("train/sub/dog.txt"), "woof");
      Files.writeString(oss.bucketDir("bkt-b").resolve("labels.csv"), "cat,1");
      Path secret = Files.createDirectories(work.resolve("secrets/oss-secret"));
      Files.writeString(secret.resolve("ak"), oss.accessKeyId());
      Files.writeString(secret.resolve("sk"), oss.accessKeySecret());
      target = work.resolve("runtime-mnt/thin/default/multi/thin-fuse");
      Path config = work.resolve("fluid/config.json");
      Files.createDirectories(config.getParent());
      // Entry one: keys as Secret files (ConfigMap storage); entry two: keys inline (Secret
      // storage).
      Files.writeString(
          config,
          """
                    {"mounts":[{"mountPoint":"oss://bkt-a/train","name":"images","options":{"fs.oss.endpoint":"%s",
                                 "fs.oss.accessKeyId":"%s","fs.oss.accessKeySecret":"%s"}},
                               {"mountPoint":"oss://bkt-b","name":"labels","options":{"fs.oss.endpoint":"%s",
                                 "fs.oss.accessKeyId":"%s","fs.oss.accessKeySecret":"%s"}}],
                     "targetPath":"%s","accessModes":["ReadOnlyMany"]}"""
              .formatted(
                  oss.endpoint(),
                  secret.resolve("ak"),
                  secret.resolve("sk"),
                  oss.endpoint(),
                  oss.accessKeyId(),
                  oss.accessKeySecret(),
                  target));
      List<String> seen = new ArrayList<>();
      String mounted = start(config, seen);
      assertNotNull(mounted, "no 'ossfuse fluid:' line; output: " + seen);
      assertTrue(
          mounted.startsWith("ossfuse fluid: mounted oss://bkt-a/train on " + target), mounted);
      try (var names = Files.list(target)) {
        assertEquals(
            List.of("images", "labels"),
            names.map(p -> p.getFileName().toString()).sorted().toList());
      }
      assertEquals("meow", Files.readString(target.resolve("images/cat.txt")));
      assertEquals("woof", Files.readString(target.resolve("images/sub/dog.txt")));
      assertEquals("cat,1", Files.readString(target.resolve("labels/labels.csv")));
      MountStatus m = new ControlClient(socket).send(ControlRequest.status()).mounts().get(0);
      children.add(m.childPid());
      assertEquals(
          1,
          new ControlClient(socket).send(ControlRequest.status()).mounts().size(),
          "one FUSE mount");
      assertFalse(
          Files.readString(work.resolve("state/state.json")).contains(oss.accessKeySecret()),
          "no secret in the state");
    }
  }
}
