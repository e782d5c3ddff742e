package io.ossfuse.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import io.ossfuse.localoss.LocalOssServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

/**
 * The shipped unit under a real systemd (PID 1 of a container of the product image plus systemd):
 * it starts the daemon, and a `systemctl restart` or a daemon crash leaves the FUSE child serving
 * and adopted by the next daemon — the reason for KillMode=process; a kill of daemon and child
 * together only stalls readers — the reason for FileDescriptorStoreMax=. Each with its control.
 */
@Tag("container")
@EnabledIfSystemProperty(
    named = "ossfuse.dist.built",
    matches = "true",
    disabledReason = "needs the distribution: runs at integration-test, after package")
class SystemdServiceIT {
  private static final Logger LOG = LoggerFactory.getLogger(SystemdServiceIT.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MOUNTPOINT = "/mnt/ossfuse/ds";
  private static final String TARGET =
      "/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~csi/pv-1/mount";
  private static final String CRED = "/etc/ossfuse/credentials/test";
  private static final String CONTENT = "served across daemon restarts\n";
  private static String image;

  /** Per test, not @BeforeAll: a skip then shows on every test with its reason. */
  @BeforeEach
  void requireEngineAndImage() {
    ContainerEngine.require();
    image = ProductImage.withSystemd();
  }

  @Test
  void restartAndCrashOfTheServiceLeaveTheFuseChildServing() throws Exception {
    runOnNode(
        Files.readString(Project.unit()),
        (node, child) -> {
          // systemctl restart: SIGTERM to the daemon only; the child keeps serving and is adopted.
          long daemonBefore = mainPid(node);
          exec(node, "systemctl", "restart", "ossfuse");
          assertEquals(
              CONTENT,
              exec(node, "cat", TARGET + "/hello.txt"),
              "served while the daemon restarts");
          awaitSocket(node);
          assertTrue(mainPid(node) != daemonBefore, "a new daemon runs");
          assertEquals(child, healthyChild(node), "the new daemon adopted the same FUSE child");

          // The daemon crashes: Restart=always starts a new one, the child again survives.
          exec(node, "systemctl", "kill", "--kill-who=main", "--signal=SIGKILL", "ossfuse");
          assertEquals(
              CONTENT, exec(node, "cat", TARGET + "/hello.txt"), "served while no daemon runs");
          awaitRestarts(node, 1);
          awaitSocket(node);
          assertEquals(child, healthyChild(node), "adopted again after a daemon crash");
          assertEquals(CONTENT, exec(node, "cat", TARGET + "/hello.txt"));
          LOG.info("FUSE child {} served across systemctl restart and a daemon SIGKILL", child);
        });
  }

  /**
   * The control: with KillMode=mixed a plain restart kills the FUSE child, so the test above means
   * something.
   */
  @Test
  void withKillModeMixedARestartWouldKillTheFuseChild() throws Exception {
    String mixed = Files.readString(Project.unit()).replace("KillMode=process", "KillMode=mixed");
    runOnNode(
        mixed,
        (node, child) -> {
          exec(node, "systemctl", "restart", "ossfuse");
          awaitSocket(node);
          long after = healthyChild(node);
          assertTrue(
              after != child,
              "KillMode=mixed: child " + child + " was killed and replaced by " + after);
          assertEquals(
              CONTENT, exec(node, "cat", TARGET + "/hello.txt"), "the daemon recovered the mount");
        });
  }

  /**
   * Daemon and child SIGKILLed together (every process of the unit): systemd's fd store still holds
   * the /dev/fuse fd, so the connection, the mount and the pod's bind stay; readers in the pod path
   * stall until the restarted daemon's new child serves the same connection, and never fail.
   */
  @Test
  void daemonAndChildKilledTogetherOnlyStallReadersThanksToTheFdStore() throws Exception {
    runOnNode(
        Files.readString(Project.unit()),
        (node, child) -> {
          String minorBefore = targetConnection(node);
          assertEquals("1", storedFds(node), "the mount's /dev/fuse fd is in systemd's fd store");
          Reads reads = killEverythingWhileReading(node, child);
          LOG.info(
              "RECOVERY systemd fd store, daemon+child SIGKILL: {} reads, {} failed, longest read {} ms,"
                  + " reads normal again {} ms after the kill",
              reads.total,
              reads.failed,
              reads.longestMillis,
              reads.backAfterMillis);
          LOG.info(
              "journal of the restart:\n{}",
              node.execInContainer(
                      "journalctl",
                      "-u",
                      "ossfuse",
                      "--no-pager",
                      "-o",
                      "short-precise",
                      "-n",
                      "60")
                  .getStdout());
          LOG.info(
              "child log:\n{}",
              node.execInContainer("bash", "-c", "tail -n 40 /var/log/ossfuse/*.log").getStdout());
          assertEquals(
              0,
              reads.failed,
              "failed reads around the kill of daemon and child: " + reads.failures);
          assertTrue(
              journal(node).contains("back from systemd's fd store"),
              "the new daemon reclaimed the stored fd");
          assertEquals(
              minorBefore,
              targetConnection(node),
              "the pod path is still bound to the same FUSE connection");
          assertEquals(
              "1",
              storedFds(node),
              "still one stored fd: the reclaimed connection is not stored twice");

          // umount takes the connection out of the store, or systemd would keep it alive unserved.
          exec(node, "ossfuse", "unbind", TARGET);
          exec(node, "ossfuse", "umount", MOUNTPOINT);
          assertEquals("0", storedFds(node), "umount removed the fd from systemd's store");
        });
  }

  /**
   * The control: without FileDescriptorStoreMax= the same kill makes readers fail, so the test
   * above means something.
   */
  @Test
  void withoutTheFdStoreDaemonAndChildKilledTogetherFailReads() throws Exception {
    String noStore =
        Files.readString(Project.unit()).replaceAll("(?m)^FileDescriptorStoreMax=.*$", "");
    runOnNode(
        noStore,
        (node, child) -> {
          Reads reads = killEverythingWhileReading(node, child);
          LOG.info(
              "RECOVERY without fd store, daemon+child SIGKILL: {} reads, {} failed ({}), longest read {} ms,"
                  + " reads normal again {} ms after the kill",
              reads.total,
              reads.failed,
              reads.firstFailure,
              reads.longestMillis,
              reads.backAfterMillis);
          assertTrue(
              reads.failed > 0, "without the fd store the connection dies with its last holder");
        });
  }

  private static final String READER = "/tmp/reader.sh";
  private static final String READS = "/tmp/reads.log";

  /**
   * Reads in the pod path from inside the node (a file, and a name that does not exist so every
   * read reaches the FUSE server) in a loop, SIGKILLs every process of the unit, waits for the
   * restarted daemon's healthy child and a few more reads, and returns what the reader saw.
   */
  private static Reads killEverythingWhileReading(GenericContainer<?> node, long child)
      throws Exception {
    String script =
        String.join(
            "\n",
            "i=0",
            "while [ ! -e /tmp/reader.stop ]; do",
            "  i=$((i+1)); s=$(date +%s%3N)",
            "  out=$(timeout -s KILL 120 cat " + TARGET + "/hello.txt 2>&1); rc=$?",
            "  miss=$(timeout -s KILL 120 ls " + TARGET + "/missing-$i 2>&1)",
            "  e=$(date +%s%3N)",
            "  if [ $rc -eq 0 ] && [ \"$out\" = \""
                + CONTENT.strip()
                + "\" ] && [[ \"$miss\" == *'No such file'* ]]; then",
            "    echo \"$s $e ok\"",
            "  else",
            "    echo \"$s $e FAIL ${out//$'\\n'/ } / ${miss//$'\\n'/ }\"",
            "  fi",
            "  sleep 0.05",
            "done",
            "");
    node.copyFileToContainer(Transferable.of(script, 0755), READER);
    exec(
        node,
        "bash",
        "-c",
        "rm -f /tmp/reader.stop "
            + READS
            + "; setsid bash "
            + READER
            + " </dev/null >"
            + READS
            + " 2>&1 &");
    awaitReads(node, 10);
    long killedAt = Long.parseLong(exec(node, "date", "+%s%3N").strip());
    // --kill-who=all (the default): the daemon, its FUSE child and the standby die at once.
    exec(node, "systemctl", "kill", "--signal=SIGKILL", "ossfuse");
    awaitRestarts(node, 1);
    awaitSocket(node);
    long after = healthyChild(node);
    assertTrue(after != child, "a new FUSE child serves (" + after + ")");
    int seen = readLog(node).size();
    awaitReads(node, seen + 10);
    exec(node, "touch", "/tmp/reader.stop");
    Thread.sleep(500);
    Reads r = new Reads();
    // A read of this loop takes ~10-50 ms; one that failed or took longer was hit by the outage.
    long lastOutageStart = killedAt;
    List<long[]> oks = new ArrayList<>();
    for (String line : readLog(node)) {
      String[] f = line.split(" ", 4);
      long start = Long.parseLong(f[0]);
      long end = Long.parseLong(f[1]);
      r.total++;
      r.longestMillis = Math.max(r.longestMillis, end - start);
      boolean ok = f[2].equals("ok");
      if (ok) oks.add(new long[] {start, end});
      if (!ok) {
        r.failed++;
        if (r.firstFailure == null) r.firstFailure = f.length > 3 ? f[3] : line;
        r.failures.add(
            "read "
                + r.total
                + " at kill"
                + (start >= killedAt ? "+" : "")
                + (start - killedAt)
                + " ms: "
                + (f.length > 3 ? f[3] : line));
      }
      if ((!ok || end - start > 500) && end > killedAt)
        lastOutageStart = Math.max(lastOutageStart, start);
    }
    for (long[] ok : oks) {
      if (ok[0] > lastOutageStart) {
        r.backAfterMillis = ok[1] - killedAt;
        break;
      }
    }
    return r;
  }

  private static final class Reads {
    int total;
    int failed;
    String firstFailure;
    long longestMillis;
    long backAfterMillis = -1;
    final List<String> failures = new ArrayList<>();
  }

  private static List<String> readLog(GenericContainer<?> node) throws Exception {
    return exec(node, "cat", READS).lines().filter(l -> l.matches("\\d+ \\d+ .*")).toList();
  }

  private static void awaitReads(GenericContainer<?> node, int atLeast) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (readLog(node).size() < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "reader made fewer than " + atLeast + " reads:\n" + exec(node, "cat", READS));
      }
      Thread.sleep(100);
    }
  }

  /** The device (major:minor, the FUSE connection) mounted on the pod path. */
  private static String targetConnection(GenericContainer<?> node) throws Exception {
    List<String> devs =
        exec(node, "cat", "/proc/self/mountinfo")
            .lines()
            .map(l -> l.split(" "))
            .filter(f -> f[4].equals(TARGET))
            .map(f -> f[2])
            .toList();
    assertEquals(1, devs.size(), "one mount on " + TARGET + ": " + devs);
    return devs.get(0);
  }

  private static String storedFds(GenericContainer<?> node) throws Exception {
    return exec(node, "systemctl", "show", "-p", "NFileDescriptorStore", "--value", "ossfuse")
        .strip();
  }

  private static String journal(GenericContainer<?> node) throws Exception {
    return node.execInContainer("journalctl", "-u", "ossfuse", "--no-pager", "-n", "300")
        .getStdout();
  }

  private interface Scenario {
    void run(GenericContainer<?> node, long child) throws Exception;
  }

  /**
   * A node (systemd in a container) with the unit installed and enabled, a dataset from the local
   * OSS endpoint mounted through the daemon and bound into a pod volume path; runs the scenario
   * with the serving child's pid.
   */
  private static void runOnNode(String unitText, Scenario scenario) throws Exception {
    Path ossRoot = Files.createTempDirectory("ossfuse-sd-oss");
    try (LocalOssServer oss =
            LocalOssServer.builder().root(ossRoot).bucket("data").build().start();
        GenericContainer<?> node =
            new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host")
                .withLabel("io.ossfuse.test", "packaging")
                .withCreateContainerCmdModifier(
                    cmd ->
                        cmd.getHostConfig()
                            .withCapAdd(Capability.SYS_ADMIN)
                            .withDevices(Device.parse("/dev/fuse")))) {
      Files.createDirectories(oss.bucketDir("data").resolve("ds"));
      Files.writeString(oss.bucketDir("data").resolve("ds/hello.txt"), CONTENT);
      node.start();
      awaitSystemd(node);
      node.copyFileToContainer(Transferable.of(unitText), "/etc/systemd/system/ossfuse.service");
      node.copyFileToContainer(
          Transferable.of(oss.accessKeyId(), 0600), CRED + "/fs.oss.accessKeyId");
      node.copyFileToContainer(
          Transferable.of(oss.accessKeySecret(), 0600), CRED + "/fs.oss.accessKeySecret");
      exec(node, "systemctl", "daemon-reload");
      // Type=notify: this returns only after the daemon's READY=1 (or fails after TimeoutStartSec).
      exec(node, "systemctl", "enable", "--now", "ossfuse");
      assertTrue(
          exec(node, "systemctl", "show", "-p", "StatusText", "--value", "ossfuse")
              .startsWith("listening on " + DaemonDefaults.CONTROL_SOCKET),
          "sd_notify STATUS reached systemd");
      awaitSocket(node);
      exec(node, "mkdir", "-p", MOUNTPOINT, TARGET);
      exec(
          node,
          "ossfuse",
          "mount",
          "oss://data/ds",
          MOUNTPOINT,
          "--endpoint",
          oss.endpoint(),
          "--cred-dir",
          CRED);
      exec(node, "ossfuse", "bind", MOUNTPOINT, TARGET);
      long child = healthyChild(node);
      assertEquals(CONTENT, exec(node, "cat", TARGET + "/hello.txt"));
      scenario.run(node, child);
    } finally {
      try (Stream<Path> walk = Files.walk(ossRoot)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void awaitSystemd(GenericContainer<?> c) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String state = "";
    while (System.nanoTime() < deadline) {
      state = c.execInContainer("systemctl", "is-system-running").getStdout().strip();
      if (state.equals("running") || state.equals("degraded")) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("systemd did not come up: " + state);
  }

  private static void awaitSocket(GenericContainer<?> c) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (c.execInContainer("test", "-S", DaemonDefaults.CONTROL_SOCKET).getExitCode() == 0
          && c.execInContainer("ossfuse", "status").getExitCode() == 0) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "daemon did not answer; journal:\n"
            + c.execInContainer("journalctl", "-u", "ossfuse", "--no-pager", "-n", "50")
                .getStdout());
  }

  private static long mainPid(GenericContainer<?> c) throws Exception {
    return Long.parseLong(
        exec(c, "systemctl", "show", "-p", "MainPID", "--value", "ossfuse").strip());
  }

  private static void awaitRestarts(GenericContainer<?> c, int atLeast) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String n = "";
    while (System.nanoTime() < deadline) {
      n = exec(c, "systemctl", "show", "-p", "NRestarts", "--value", "ossfuse").strip();
      if (Integer.parseInt(n) >= atLeast
          && "active"
              .equals(c.execInContainer("systemctl", "is-active", "ossfuse").getStdout().strip())) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("systemd did not restart the daemon (NRestarts=" + n + ")");
  }

  private static long healthyChild(GenericContainer<?> c) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      for (JsonNode m : JSON.readTree(exec(c, "ossfuse", "status", "--json"))) {
        if (m.path("mountpoint").asText().equals(MOUNTPOINT)) {
          last = m;
          if ("HEALTHY".equals(m.path("state").asText()) && m.path("childPid").canConvertToLong()) {
            return m.path("childPid").asLong();
          }
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("mount never became healthy: " + last);
  }

  private static String exec(GenericContainer<?> c, String... command) throws Exception {
    ExecResult r = c.execInContainer(command);
    assertEquals(
        0,
        r.getExitCode(),
        String.join(" ", command) + " failed: " + r.getStdout() + r.getStderr());
    return r.getStdout();
  }
}
