package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.MountOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A child killed while it starts, before it serves: the startup probe then waits on a mount nobody
 * serves, and must not hide the death until it times out (here 90 s, so a hidden death is plain).
 */
final class StartupDeathTest {
  private static final Duration LONG = Duration.ofSeconds(120);
  private DaemonHarness h;
  private LocalOssServer oss;
  private String mp;

  @BeforeEach
  void setUp() throws Exception {
    h = new DaemonHarness();
    h.daemonArgs.add("slow-probe");
    oss = LocalOssServer.builder().root(h.base.resolve("oss")).bucket("bkt").build().start();
    Path data = Files.createDirectories(oss.bucketDir("bkt").resolve("data"));
    Files.writeString(data.resolve("a.txt"), "a");
    Path creds = Files.createDirectories(h.base.resolve("creds"));
    Files.writeString(creds.resolve("fs.oss.accessKeyId"), oss.accessKeyId());
    Files.writeString(creds.resolve("fs.oss.accessKeySecret"), oss.accessKeySecret());
    mp = h.base.resolve("mnt").toString();
    h.start();
    MountOptions o =
        MountOptions.builder("oss://bkt/data", mp, oss.endpoint())
            .credDir(creds.toString())
            .transport("raw")
            .build();
    JsonNode options = Json.mapper().readTree(o.toJson());
    h.ok(
        ControlRequest.mount(
            new MountSpec(o.source(), mp, null, MountSpec.DRIVER_OSSFUSE, options)));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      h.close();
    } finally {
      if (oss != null) oss.close();
    }
  }

  @Test
  void aChildKilledBeforeItServesIsSeenDeadAtOnce() throws Exception {
    MountStatus s =
        h.await(mp, m -> m.state() == MountState.HEALTHY && m.standbyPid() != null, LONG);
    long first = s.childPid();
    long standby = s.standbyPid();
    kill(standby); // no standby for a while (it is replaced after a pause): the next start is cold
    h.awaitLog("standby child " + standby + " of " + mp + " exited", LONG);
    kill(first);
    MountStatus t = h.await(mp, m -> m.childPid() != null && m.childPid() != first, LONG);
    long starting = t.childPid();
    awaitProbeInFlight();
    kill(starting); // while its JVM starts: the startup probe waits on the mount meanwhile
    long killedAt = System.nanoTime();
    h.awaitLog("failed: child " + starting + ":", LONG);
    long ms = (System.nanoTime() - killedAt) / 1_000_000;
    assertTrue(
        ms < 45_000, "the death of a starting child was seen only after " + ms + " ms\n" + h.log());
    h.await(
        mp,
        m -> m.state() == MountState.HEALTHY && m.childPid() != null && m.childPid() != starting,
        LONG);
  }

  /**
   * Until the daemon's startup probe (a {@code stat} of a fresh name under the mount) is running.
   */
  private void awaitProbeInFlight() throws Exception {
    String marker = mp + "/.ossfuse-probe-";
    long deadline = System.nanoTime() + LONG.toNanos();
    while (true) {
      try (var procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
        for (Path p : procs) {
          try {
            if (new String(Files.readAllBytes(p.resolve("cmdline"))).contains(marker)) return;
          } catch (java.io.IOException gone) {
            // ended meanwhile
          }
        }
      }
      assertTrue(System.nanoTime() < deadline, "no startup probe ran\n" + h.log());
      Thread.sleep(10); // polling a condition, with a deadline
    }
  }

  private void kill(long pid) {
    h.trackPid(pid);
    assertTrue(Exec.run(List.of("kill", "-KILL", Long.toString(pid)), Duration.ofSeconds(5)).ok());
  }
}
