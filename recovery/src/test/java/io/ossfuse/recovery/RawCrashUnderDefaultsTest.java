package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.MountOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a node runs: the daemon with its DEFAULT settings (probe every 2 s, backoff 0.5 s..30 s, a
 * child stable after 30 s), the raw transport and a MEM {@code --tieredstore}; a reader loop checks
 * a 64 KiB file every 50 ms through a bound pod path while the FUSE child is SIGKILLed again and
 * again. Not one read may fail: a daemon-held mount never shows a child's death.
 *
 * <p>The stall of each kill is measured as kill -> answer to a lookup of a name never looked up
 * before (so the kernel must ask the new child).
 */
final class RawCrashUnderDefaultsTest {
  private static final Duration LONG = Duration.ofSeconds(120);
  private static final int KILLS = Integer.getInteger("recovery.defaults.kills", 8);
  private DaemonHarness h;
  private LocalOssServer oss;
  private Path cacheDir;
  private MountSpec spec;
  private String mp;
  private String sha;
  private Path target;

  @BeforeEach
  void setUp() throws Exception {
    h = new DaemonHarness(true);
    oss = LocalOssServer.builder().root(h.base.resolve("oss")).bucket("bkt").build().start();
    Path data = Files.createDirectories(oss.bucketDir("bkt").resolve("data"));
    StringBuilder b = new StringBuilder();
    for (int i = 0; b.length() < 64 * 1024; i++)
      b.append("line ").append(i).append(" of a file that must survive\n");
    byte[] content = b.substring(0, 64 * 1024).getBytes(StandardCharsets.US_ASCII);
    Files.write(data.resolve("big.bin"), content);
    sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    Path creds = Files.createDirectories(h.base.resolve("creds"));
    Files.writeString(creds.resolve("fs.oss.accessKeyId"), oss.accessKeyId());
    Files.writeString(creds.resolve("fs.oss.accessKeySecret"), oss.accessKeySecret());
    Path shm = Path.of("/dev/shm");
    cacheDir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : h.base, "ossfuse-mem");
    Path yaml = h.base.resolve("tieredstore.yaml");
    Files.writeString(
        yaml,
        "tieredstore:\n  levels:\n    - mediumtype: MEM\n      path: "
            + cacheDir
            + "\n      quota: 64Mi\n      high: \"0.95\"\n      low: \"0.8\"\n");
    mp = h.base.resolve("mnt").toString();
    h.start();
    MountOptions o =
        MountOptions.builder("oss://bkt/data", mp, oss.endpoint())
            .credDir(creds.toString())
            .allowOther(true)
            .transport("raw")
            .tieredstore(yaml.toString())
            .build();
    JsonNode options = Json.mapper().readTree(o.toJson());
    spec = new MountSpec(o.source(), mp, null, MountSpec.DRIVER_OSSFUSE, options);
    h.ok(ControlRequest.mount(spec));
    target = h.pods().resolve("p1/vol");
    h.ok(ControlRequest.bind(mp, target.toString()));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      h.close();
    } finally {
      if (oss != null) oss.close();
      if (cacheDir != null) {
        try (Stream<Path> w = Files.walk(cacheDir)) {
          w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  /**
   * (a) Eight kills, each once the standby said it is ready: it takes over every time, no read
   * fails.
   */
  @Test
  void killsWithAReadyStandbyFailNoRead() throws Exception {
    List<Long> stalls = killLoop(true);
    report("ready standby", stalls);
  }

  /**
   * (a) Eight kills as soon as the next standby has started, before it is warm: still no read
   * fails.
   */
  @Test
  void killsFasterThanTheStandbyWarmsFailNoRead() throws Exception {
    List<Long> stalls = killLoop(false);
    report("standby still warming", stalls);
  }

  /**
   * (c) Kills within the 30 s that make each a "fast failure": the ready standby takes over every
   * time at once, never thrown away for a backoff.
   */
  @Test
  void aReadyStandbyIsUsedWithoutBackoffAfterFastFailures() throws Exception {
    long killed = -1;
    for (int i = 0; i < 3; i++) {
      long prev = killed;
      MountStatus s =
          h.await(
              mp,
              m ->
                  m.state() == MountState.HEALTHY
                      && m.childPid() != null
                      && m.childPid() != prev
                      && Boolean.TRUE.equals(m.standbyReady()),
              LONG);
      track(s);
      long killedAt = System.nanoTime();
      kill(s.childPid());
      long stall = stall(i, killedAt);
      MountStatus after =
          h.await(mp, m -> m.childPid() != null && !m.childPid().equals(s.childPid()), LONG);
      // After fast failures the pool keeps several standbys; another may have become ready
      // between the status and the kill, and any ready one may be taken.
      String log = h.log();
      assertTrue(
          after.childPid().equals(s.standbyPid())
              || log.contains("standby child " + after.childPid() + " ready to take over"),
          "a ready standby took over\n" + log);
      assertTrue(stall < 5000, "a warm takeover took " + stall + " ms");
      killed = s.childPid();
    }
    String log = h.log();
    assertFalse(
        log.contains("fast failures in a row"), "no backoff while a standby was ready:\n" + log);
    assertFalse(log.contains("starting a new child now"), "no cold start:\n" + log);
  }

  /**
   * A crash storm (two kills within a minute, the second before the new standby is warm): the
   * daemon keeps three standbys from then on, and the next takeover needs no cold start.
   */
  @Test
  void aStormKeepsTwoStandbysAndNeedsNoColdStart() throws Exception {
    MountStatus s =
        h.await(
            mp,
            m -> m.state() == MountState.HEALTHY && Boolean.TRUE.equals(m.standbyReady()),
            LONG);
    track(s);
    kill(s.childPid());
    long first = s.childPid();
    MountStatus t =
        h.await(
            mp, m -> m.childPid() != null && m.childPid() != first && m.standbyPid() != null, LONG);
    track(t);
    kill(t.childPid()); // the standby started at the first takeover is not warm yet
    h.awaitLog("(2 standing by)", LONG);
    MountStatus u =
        h.await(
            mp,
            m -> m.state() == MountState.HEALTHY && Boolean.TRUE.equals(m.standbyReady()),
            LONG);
    track(u);
    kill(u.childPid());
    h.await(
        mp,
        m ->
            m.state() == MountState.HEALTHY && m.childPid() != null && m.childPid() != u.childPid(),
        LONG);
    assertFalse(
        h.log().contains("starting a new child now"), "no cold start in the storm:\n" + h.log());
  }

  /**
   * (b) With a tieredstore the standby gets ready (it does not open the cache its active child
   * holds locked); standbys that die are replaced, and leave no FIFO behind; a restarted daemon
   * removes what the previous one left.
   */
  @Test
  void theStandbyGetsReadyWithATieredstoreAndLeavesNoFifo() throws Exception {
    MountStatus s =
        h.await(
            mp,
            m -> m.state() == MountState.HEALTHY && Boolean.TRUE.equals(m.standbyReady()),
            LONG);
    track(s);
    assertTrue(
        h.log().contains("standby child " + s.standbyPid() + " ready to take over " + mp), h.log());
    Path session = h.stateFile().resolveSibling("mounts").resolve(spec.id() + ".session");
    assertOneStandbyIn(session);
    for (int i = 0; i < 3; i++) {
      long sb = s.standbyPid();
      kill(sb);
      s =
          h.await(
              mp,
              m ->
                  m.standbyPid() != null
                      && m.standbyPid() != sb
                      && Boolean.TRUE.equals(m.standbyReady()),
              LONG);
      track(s);
      assertOneStandbyIn(session);
    }
    assertTrue(h.log().contains("another starts in"), h.log());

    // A daemon killed with its standby waiting: the next daemon kills that standby and removes
    // every stale FIFO, its own standby gets ready.
    long oldStandby = s.standbyPid();
    long child = s.childPid();
    h.killDaemon();
    Files.writeString(session.resolve("standby-77"), "stale");
    h.start();
    s =
        h.await(
            mp,
            m ->
                m.state() == MountState.HEALTHY
                    && m.standbyPid() != null
                    && m.standbyPid() != oldStandby
                    && Boolean.TRUE.equals(m.standbyReady()),
            LONG);
    track(s);
    assertEquals(child, s.childPid(), "the child was adopted");
    assertTrue(awaitEnded(oldStandby, LONG), "old standby gone");
    assertOneStandbyIn(session);
    String json = ControlClient.toJson(h.ok(ControlRequest.status()).mounts());
    assertTrue(json.matches("(?s).*\"standbyReady\"\\s*:\\s*true.*"), json);
  }

  /**
   * Whether {@code pid} ended within {@code timeout}. A zombie counts as ended: a standby orphaned
   * by the killed daemon is reaped by whoever adopted it (init, or a CI runner that is a subreaper
   * and may reap late), and {@link ProcessHandle#isAlive} is true for a zombie.
   */
  private static boolean awaitEnded(long pid, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    do {
      try {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        char state = stat.charAt(stat.lastIndexOf(')') + 2);
        if (state == 'Z' || state == 'X') return true;
      } catch (java.io.IOException gone) {
        return true;
      }
      Thread.sleep(50); // polling a condition, with a deadline
    } while (System.nanoTime() < deadline);
    return false;
  }

  /** Exactly one standby's FIFO and its ready marker. */
  private static void assertOneStandbyIn(Path session) throws Exception {
    List<String> names;
    try (Stream<Path> l = Files.list(session)) {
      names =
          l.map(p -> p.getFileName().toString())
              .filter(n -> n.startsWith("standby-"))
              .sorted()
              .toList();
    }
    assertEquals(2, names.size(), "one FIFO and its ready marker: " + names);
    assertEquals(names.get(0) + ".ready", names.get(1), names.toString());
  }

  private List<Long> killLoop(boolean waitReady) throws Exception {
    try {
      return killLoopOnce(waitReady);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + childLogTails(), e);
    }
  }

  /** The last lines of every child log: what a failure in CI needs to be understood. */
  private String childLogTails() throws IOException {
    StringBuilder b = new StringBuilder();
    Path logs = h.base.resolve("logs");
    if (!Files.isDirectory(logs)) return "(no child logs)";
    try (Stream<Path> l = Files.list(logs)) {
      for (Path f : l.sorted().toList()) {
        List<String> lines = Files.readAllLines(f, java.nio.charset.StandardCharsets.ISO_8859_1);
        b.append("--- ").append(f.getFileName()).append(" (last 80 lines)\n");
        lines
            .subList(Math.max(0, lines.size() - 80), lines.size())
            .forEach(x -> b.append(x).append('\n'));
      }
    }
    return b.toString();
  }

  private List<Long> killLoopOnce(boolean waitReady) throws Exception {
    List<Long> stalls = new ArrayList<>();
    int warming = 0;
    try (ReaderLoop r = ReaderLoop.sha256(target, "big.bin", sha, Duration.ofSeconds(60), 50)) {
      r.awaitGoodAfter(System.nanoTime(), LONG);
      long killed = -1;
      for (int i = 0; i < KILLS; i++) {
        long prev = killed;
        MountStatus s =
            h.await(
                mp,
                m ->
                    m.state() == MountState.HEALTHY
                        && m.childPid() != null
                        && m.childPid() != prev
                        && m.standbyPid() != null
                        && (!waitReady || Boolean.TRUE.equals(m.standbyReady())),
                LONG);
        track(s);
        if (!Boolean.TRUE.equals(s.standbyReady())) warming++;
        long killedAt = System.nanoTime();
        kill(s.childPid());
        stalls.add(stall(i, killedAt));
        MountStatus after =
            h.await(mp, m -> m.childPid() != null && !m.childPid().equals(s.childPid()), LONG);
        track(after);
        killed = s.childPid();
      }
      h.await(mp, m -> m.state() == MountState.HEALTHY, LONG);
      r.awaitGoodAfter(System.nanoTime(), LONG);
      List<ReaderLoop.Read> failed = r.failures(0, Long.MAX_VALUE);
      System.out.printf(
          "RECOVERY defaults+tieredstore: %d reads, %d failed, slowest %d ms%n",
          r.reads().size(), failed.size(), r.maxReadMillis(0, Long.MAX_VALUE));
      assertEquals(List.of(), failed, "failed reads\n" + h.log());
    }
    if (!waitReady)
      System.out.printf(
          "RECOVERY defaults+tieredstore: %d of %d kills while the standby was still warming%n",
          warming, KILLS);
    assertTrue(h.status(mp).targets().stream().allMatch(MountStatus.TargetStatus::healthy));
    assertFalse(h.log().contains("ending the FUSE connection"), h.log());
    return stalls;
  }

  /** Kill -> a lookup of a fresh name through the bind answered (ENOENT from the new child). */
  private long stall(int i, long killedAt) {
    Exec.Result r =
        Exec.run(
            List.of("stat", target.resolve("never-" + i + "-" + System.nanoTime()).toString()),
            Duration.ofSeconds(100));
    long ms = (System.nanoTime() - killedAt) / 1_000_000;
    assertTrue(r.output().contains("No such file"), "lookup after kill " + i + ": " + r.describe());
    return ms;
  }

  private void kill(long pid) {
    h.trackPid(pid);
    assertTrue(Exec.run(List.of("kill", "-KILL", Long.toString(pid)), Duration.ofSeconds(5)).ok());
  }

  private void track(MountStatus s) {
    if (s.childPid() != null) h.trackPid(s.childPid());
    if (s.standbyPid() != null) h.trackPid(s.standbyPid());
  }

  private static void report(String what, List<Long> stalls) {
    List<Long> sorted = new ArrayList<>(stalls);
    Collections.sort(sorted);
    System.out.printf(
        "RECOVERY defaults+tieredstore, %s: %d kills, takeover stall p50 %d ms, max %d ms (all %s)%n",
        what, stalls.size(), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), stalls);
  }
}
