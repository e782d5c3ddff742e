package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The seamless-recovery proof without the watchdog: this JVM owns the FUSE connection (like the
 * watchdog will), serving children are SIGKILLed at random moments under readers and respawned.
 * Readers must never see an error (no ENOTCONN, ECONNABORTED, EIO) and always the right bytes.
 */
class SeamlessTakeoverTest {
  static final long BIG = 128L << 20;
  static final int KILLS = Integer.getInteger("seamless.kills", 6);
  static final String BIG_SHA = sha256OfPattern(BIG);

  @Test
  void readersNeverNoticeKilledChildren() throws Exception {
    Map<String, String> env =
        Map.of("PATTERN_BIG_BYTES", Long.toString(BIG), "PATTERN_READ_DELAY_MS", "2");
    try (ChildHarness h = new ChildHarness("seamless", env)) {
      h.spawn();
      assertTrue(h.probe(Duration.ofSeconds(30)), "first child serves");
      Path big = h.mnt.resolve("big");
      Queue<String> failures = new ConcurrentLinkedQueue<>();
      List<long[]> spans = new CopyOnWriteArrayList<>();
      AtomicBoolean stop = new AtomicBoolean();
      // An application holding an O_DIRECT fd opened before any kill (every read reaches the
      // server).
      // It lives in its own process: this JVM, like the watchdog, keeps no file open on the mount.
      PreOpenedReader preOpened =
          PreOpenedReader.start(big, h.root.resolve("stop-preopened"), BIG, failures, spans);
      List<Thread> readers =
          List.of(
              reader(
                  "buffered",
                  stop,
                  failures,
                  spans,
                  "set -o pipefail; dd if="
                      + big
                      + " iflag=nocache count=0 status=none && sha256sum "
                      + big,
                  BIG_SHA),
              reader(
                  "o_direct",
                  stop,
                  failures,
                  spans,
                  "set -o pipefail; dd if=" + big + " iflag=direct bs=1M status=none | sha256sum",
                  BIG_SHA),
              reader(
                  "ls-stat",
                  stop,
                  failures,
                  spans,
                  "set -o pipefail; stat -c %s "
                      + big
                      + " && ls -l "
                      + h.mnt
                      + " | wc -l && ls -l "
                      + h.mnt.resolve("dir")
                      + " | wc -l",
                  BIG + "\n4\n" + (PatternFileSystem.FILES + 1)));
      readers.forEach(Thread::start);

      Random random = new Random();
      List<Long> stalls = new ArrayList<>();
      List<Long> kills = new ArrayList<>();
      for (int k = 0; k < KILLS; k++) {
        Thread.sleep(300 + random.nextInt(1200));
        long t0 = System.nanoTime();
        kills.add(System.currentTimeMillis());
        h.killCurrent();
        h.spawn();
        Shell.Result probe =
            Shell.run(60_000, "stat", "-c", "%s", h.mnt.resolve("probe-" + k).toString());
        long stall = (System.nanoTime() - t0) / 1_000_000;
        stalls.add(stall);
        if (!probe.ok()) {
          failures.add("probe after kill " + k + ": " + probe);
        }
      }
      Thread.sleep(500);
      stop.set(true);
      for (Thread t : readers) {
        t.join(120_000);
        assertFalse(t.isAlive(), t.getName() + " finished");
      }
      // The fd opened before the kills still reads every byte correctly.
      assertEquals(
          BIG_SHA,
          preOpened.finish(Duration.ofSeconds(120)),
          "pre-opened fd after " + KILLS + " kills");

      Collections.sort(stalls);
      long spanning =
          spans.stream().filter(s -> kills.stream().anyMatch(k -> s[0] < k && k < s[1])).count();
      System.out.printf(
          "seamless: %d kills, stall p50=%d ms max=%d ms (all %s), %d reads, %d spanning a kill, %d failures%n",
          KILLS,
          stalls.get(stalls.size() / 2),
          stalls.get(stalls.size() - 1),
          stalls,
          spans.size(),
          spanning,
          failures.size());
      assertTrue(
          failures.isEmpty(),
          "reader failures: " + failures + "\nchild log tail:\n" + tail(h.childLog()));
      assertTrue(spanning > 0, "some reads were in flight during a kill");
      assertTrue(
          h.childLog().contains("SHARED_FD_RESEND"), "later generations took over with RESEND");
    }
  }

  @Test
  void standbyChildTakesOverWithoutJvmStartup() throws Exception {
    Map<String, String> env =
        Map.of("PATTERN_BIG_BYTES", Long.toString(BIG), "PATTERN_READ_DELAY_MS", "2");
    try (ChildHarness h = new ChildHarness("standby", env)) {
      h.spawn();
      assertTrue(h.probe(Duration.ofSeconds(30)));
      Path big = h.mnt.resolve("big");
      Queue<String> failures = new ConcurrentLinkedQueue<>();
      List<long[]> spans = new CopyOnWriteArrayList<>();
      AtomicBoolean stop = new AtomicBoolean();
      Thread reader =
          reader(
              "o_direct",
              stop,
              failures,
              spans,
              "set -o pipefail; dd if=" + big + " iflag=direct bs=1M status=none | sha256sum",
              BIG_SHA);
      reader.start();
      List<Long> stalls = new ArrayList<>();
      for (int k = 0; k < 4; k++) {
        io.ossfuse.fuse.dev.Standby standby =
            io.ossfuse.fuse.dev.Standby.prepare(h.stateDir, "standby-" + k);
        Process active = h.current();
        h.spawn(standby.environment());
        int standingBy = k + 1;
        waitFor(
            () -> count(h.childLog(), "standing by on") == standingBy,
            Duration.ofSeconds(30),
            "standby ready");
        Thread.sleep(300);
        long t0 = System.nanoTime();
        active.destroyForcibly();
        active.waitFor();
        long reaped = System.nanoTime();
        assertTrue(standby.activate(), "standby was waiting");
        long activated = System.nanoTime();
        Shell.Result probe =
            Shell.run(60_000, "stat", "-c", "%s", h.mnt.resolve("probe-s" + k).toString());
        stalls.add((System.nanoTime() - t0) / 1_000_000);
        System.out.printf(
            "standby %d: reaped after %d ms, activated after %d ms, probe answered after %d ms%n",
            k,
            (reaped - t0) / 1_000_000,
            (activated - t0) / 1_000_000,
            (System.nanoTime() - t0) / 1_000_000);
        assertTrue(probe.ok(), probe.toString());
      }
      stop.set(true);
      reader.join(120_000);
      Collections.sort(stalls);
      System.out.printf(
          "standby takeover: stalls %s ms, %d reads, %d failures%n",
          stalls, spans.size(), failures.size());
      assertTrue(failures.isEmpty(), failures.toString());
      assertFalse(
          io.ossfuse.fuse.dev.Standby.prepare(h.stateDir, "nobody").isReady(),
          "no standby waiting");
    }
  }

  @Test
  void childKilledAfterSavingInitBeforeAnsweringIt() throws Exception {
    try (ChildHarness h = new ChildHarness("init-reply", Map.of())) {
      h.spawn(Map.of("RAW_PAUSE_INIT_REPLY_MS", "60000"));
      Path record = h.stateDir.resolve(InitStore.FILE);
      waitFor(() -> Files.exists(record), Duration.ofSeconds(30), "INIT record saved");
      h.killCurrent();
      h.spawn();
      assertTrue(h.probe(Duration.ofSeconds(30)), "successor answers the re-sent INIT and serves");
      assertEquals(
          new String(PatternFileSystem.HELLO_BYTES), Files.readString(h.mnt.resolve("hello")));
      String log = h.childLog();
      assertTrue(log.contains("taking over FUSE session"), log);
      // The first child saved INIT but died before answering (and logging) it: the successor did.
      assertEquals(1, count(log, "INIT: kernel"), log);
      assertTrue(log.indexOf("INIT: kernel") > log.indexOf("taking over FUSE session"), log);
    }
  }

  @Test
  void childKilledAfterReadingInitBeforeSavingIt() throws Exception {
    try (ChildHarness h = new ChildHarness("init-save", Map.of())) {
      h.spawn(Map.of("RAW_PAUSE_INIT_SAVE_MS", "60000"));
      waitFor(
          () -> h.childLog().contains("test pause of 60000 ms before saving INIT"),
          Duration.ofSeconds(60),
          "child read INIT");
      assertFalse(Files.exists(h.stateDir.resolve(InitStore.FILE)));
      h.killCurrent();
      h.spawn();
      assertTrue(h.probe(Duration.ofSeconds(30)), "successor gets INIT re-sent and serves");
      assertEquals(
          new String(PatternFileSystem.HELLO_BYTES), Files.readString(h.mnt.resolve("hello")));
    }
  }

  @Test
  void lostInitRecordStillTakesOver() throws Exception {
    try (ChildHarness h = new ChildHarness("lost-record", Map.of())) {
      h.spawn();
      assertTrue(h.probe(Duration.ofSeconds(30)));
      Files.delete(h.stateDir.resolve(InitStore.FILE));
      h.killCurrent();
      h.spawn();
      assertTrue(h.probe(Duration.ofSeconds(30)), "serves with assumed parameters");
      assertEquals(
          new String(PatternFileSystem.HELLO_BYTES), Files.readString(h.mnt.resolve("hello")));
      assertTrue(h.childLog().contains("has no INIT record"), h.childLog());
    }
  }

  @Test
  void childKilledDuringLargeReaddir() throws Exception {
    try (ChildHarness h = new ChildHarness("readdir", Map.of("PATTERN_READDIR_DELAY_MS", "4"))) {
      h.spawn();
      assertTrue(h.probe(Duration.ofSeconds(30)));
      List<Shell.Result> results = new CopyOnWriteArrayList<>();
      Thread lister =
          new Thread(
              () -> {
                try {
                  results.add(
                      Shell.sh(
                          120_000, "set -o pipefail; ls -f " + h.mnt.resolve("dir") + " | wc -l"));
                  results.add(
                      Shell.sh(
                          120_000, "set -o pipefail; ls -l " + h.mnt.resolve("dir") + " | wc -l"));
                } catch (Exception e) {
                  results.add(new Shell.Result(-1, "", e.toString(), 0));
                }
              });
      lister.start();
      Thread.sleep(700);
      h.killCurrent();
      h.spawn();
      Thread.sleep(1500);
      h.killCurrent();
      h.spawn();
      lister.join(180_000);
      assertEquals(2, results.size());
      assertEquals(
          Integer.toString(PatternFileSystem.FILES + 2),
          results.get(0).out().strip(),
          results.get(0).toString());
      assertEquals(
          Integer.toString(PatternFileSystem.FILES + 1),
          results.get(1).out().strip(),
          results.get(1).toString());
    }
  }

  @Test
  void clonedFdModeKeepsTheMountUp() throws Exception {
    Map<String, String> env =
        Map.of("PATTERN_BIG_BYTES", Long.toString(BIG), "RAW_FORCE_CLONE", "true");
    try (ChildHarness h = new ChildHarness("cloned", env)) {
      h.spawn();
      assertTrue(h.probe(Duration.ofSeconds(30)));
      assertTrue(h.childLog().contains("mode CLONED_FD"), h.childLog());
      for (int k = 0; k < 2; k++) {
        h.killCurrent();
        h.spawn();
        assertTrue(h.probe(Duration.ofSeconds(30)), "mount stays up and the successor serves");
      }
      Shell.Result sum =
          Shell.sh(
              60_000,
              "dd if=" + h.mnt.resolve("big") + " iflag=direct bs=1M status=none | sha256sum");
      assertEquals(BIG_SHA, sum.out().split(" ")[0], sum.toString());
      assertTrue(h.childLog().contains("taking over FUSE session"));
    }
  }

  @Test
  void probeSeesADeadChildAndUnmountDuringRespawnEndsTheSuccessor() throws Exception {
    ChildHarness h = new ChildHarness("unmount", Map.of());
    Process successor;
    try {
      h.spawn();
      assertTrue(h.probe(Duration.ofSeconds(30)));
      h.killCurrent();
      assertFalse(
          h.probe(Duration.ofMillis(700)), "nobody serves: the probe must not report ready");
      successor = h.spawn();
    } finally {
      h.device.close(); // unmount while the successor is starting
    }
    assertTrue(
        successor.waitFor(30, java.util.concurrent.TimeUnit.SECONDS),
        "successor ends with the connection");
    assertEquals(
        0,
        successor.exitValue(),
        "clean end: the connection is gone, not a crash\n" + h.childLog());
    assertFalse(Files.readString(Path.of("/proc/mounts")).contains(h.mnt.toString()));
    h.close();
  }

  private static Thread reader(
      String name,
      AtomicBoolean stop,
      Queue<String> failures,
      List<long[]> spans,
      String script,
      String expected) {
    return new Thread(
        () -> {
          int i = 0;
          while (!stop.get()) {
            long t0 = System.currentTimeMillis();
            try {
              Shell.Result r = Shell.sh(120_000, script);
              String got = r.out().strip().split(" ")[0];
              if (!r.ok()
                  || !r.err().isBlank()
                  || !(got.equals(expected) || r.out().strip().equals(expected))) {
                failures.add(name + "#" + i + ": " + r);
              }
            } catch (Exception e) {
              failures.add(name + "#" + i + ": " + e);
            }
            spans.add(new long[] {t0, System.currentTimeMillis()});
            i++;
          }
        },
        "reader-" + name);
  }

  static String sha256OfPattern(long size) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] chunk = new byte[1 << 20];
      for (long off = 0; off < size; off += chunk.length) {
        int n = (int) Math.min(chunk.length, size - off);
        for (int j = 0; j < n; j++) {
          chunk[j] = PatternFileSystem.at(off + j);
        }
        md.update(chunk, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void waitFor(Check c, Duration timeout, String what) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (!c.ok()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting: " + what);
      }
      Thread.sleep(50);
    }
  }

  static int count(String s, String sub) {
    int n = 0;
    for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
      n++;
    }
    return n;
  }

  static String tail(String s) {
    return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
  }
}
