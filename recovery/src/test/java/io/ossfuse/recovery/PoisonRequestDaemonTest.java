package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.MountOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A poison request under the daemon's shipped settings: every child that serves a read of one file
 * dies (the test-only {@link CrashOnReadForTests} trigger), and FUSE_NOTIFY_RESEND hands that read
 * to the next child. The read must end in EIO, the mount stay served, the other readers never fail
 * and the daemon keep supervising (docs/RECOVERY.md, "Poison requests").
 */
class PoisonRequestDaemonTest {
  private static final String CONTENT = "ossfuse survives its own death\n";
  private static final Duration RECOVER = Duration.ofSeconds(120);
  private DaemonHarness h;
  private LocalOssServer oss;
  private String mp;

  @BeforeEach
  void setUp() throws Exception {
    h = new DaemonHarness();
    oss = LocalOssServer.builder().root(h.base.resolve("oss")).bucket("bkt").build().start();
    Path data = Files.createDirectories(oss.bucketDir("bkt").resolve("data/sub")).getParent();
    Files.writeString(data.resolve("hello.txt"), CONTENT);
    Files.writeString(data.resolve("sub/inner.txt"), CONTENT);
    Files.writeString(data.resolve("poison.bin"), "whoever reads this dies\n");
    Path creds = Files.createDirectories(h.base.resolve("creds"));
    Files.writeString(creds.resolve("fs.oss.accessKeyId"), oss.accessKeyId());
    Files.writeString(creds.resolve("fs.oss.accessKeySecret"), oss.accessKeySecret());
    mp = h.base.resolve("mnt").toString();
    h.env.put(CrashOnReadForTests.ENV, "poison.bin");
    h.daemonArgs.add("--default-settings");
    h.start();
    MountOptions o =
        MountOptions.builder("oss://bkt/data", mp, oss.endpoint())
            .credDir(creds.toString())
            .allowOther(true)
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

  private String childLogs() throws IOException {
    Path logs = h.base.resolve("logs");
    if (!Files.isDirectory(logs)) return "";
    try (Stream<Path> s = Files.list(logs)) {
      return s.filter(p -> p.toString().endsWith(".log"))
          .sorted()
          .map(
              p -> {
                try {
                  return Files.readString(p);
                } catch (IOException e) {
                  return "";
                }
              })
          .collect(Collectors.joining("\n"));
    }
  }

  @Test
  void aReadThatKillsEveryChildGetsEioAloneAndTheMountStaysServed() throws Exception {
    Path t1 = h.pods().resolve("p1/vol");
    Path t2 = h.pods().resolve("p2/vol");
    h.ok(ControlRequest.bind(mp, t1.toString()));
    h.ok(ControlRequest.bind(mp + "/sub", t2.toString()));
    long first =
        h.await(mp, m -> m.state() == MountState.HEALTHY && m.standbyPid() != null, RECOVER)
            .childPid();
    h.trackPid(first);
    // A read slower than this counts as failed: above two cold child starts on a loaded 2-core
    // machine (11-15 s each measured here) plus the backoff; a lost connection fails at once.
    Duration readTimeout = Duration.ofSeconds(120);
    try (ReaderLoop r = new ReaderLoop(t1, "hello.txt", CONTENT, readTimeout);
        ReaderLoop r2 = new ReaderLoop(t2, "inner.txt", CONTENT, readTimeout)) {
      r.awaitGoodAfter(System.nanoTime(), RECOVER);
      r2.awaitGoodAfter(System.nanoTime(), RECOVER);
      long from = System.nanoTime();

      Exec.Result poisoned =
          Exec.run(List.of("cat", t1.resolve("poison.bin").toString()), Duration.ofSeconds(240));
      long tookMs = (System.nanoTime() - from) / 1_000_000;
      assertFalse(poisoned.timedOut(), "the poison read never ended: " + h.log() + childLogs());
      assertFalse(poisoned.ok(), "the poison read succeeded: " + poisoned.describe());
      assertTrue(
          poisoned.output().contains("Input/output error"),
          poisoned.describe() + "\n" + childLogs());

      // Supervision goes on: a serving child, a new standby, the connection never ended.
      MountStatus s =
          h.await(
              mp,
              m ->
                  m.state() == MountState.HEALTHY
                      && m.childPid() != null
                      && m.childPid() != first
                      && m.standbyPid() != null,
              RECOVER);
      h.trackPid(s.childPid());
      assertTrue(
          s.restarts() >= 2, "at least the child that met the poison and its successor died: " + s);
      assertTrue(s.targets().stream().allMatch(MountStatus.TargetStatus::healthy), s.toString());
      assertTrue(childLogs().contains("quarantined READ node"), childLogs());
      assertFalse(h.log().contains("ending the FUSE connection"), h.log());

      // Within the quarantine a new read of it fails at once, without killing anyone.
      long serving = s.childPid();
      long again = System.nanoTime();
      Exec.Result retry =
          Exec.run(List.of("cat", t1.resolve("poison.bin").toString()), Duration.ofSeconds(30));
      assertTrue(retry.output().contains("Input/output error"), retry.describe());
      long retryMs = (System.nanoTime() - again) / 1_000_000;
      assertTrue(
          retryMs < 10_000, "a quarantined read is answered at once, took " + retryMs + " ms");
      assertEquals(serving, h.status(mp).childPid(), "no child died for the quarantined read");

      r.awaitGoodAfter(System.nanoTime(), RECOVER);
      r2.awaitGoodAfter(System.nanoTime(), RECOVER);
      long to = System.nanoTime();
      assertEquals(List.of(), r.failures(from, to), "other reads never fail:\n" + h.log());
      assertEquals(List.of(), r2.failures(from, to), "other reads never fail:\n" + h.log());
      System.out.printf(
          "POISON read: EIO after %d ms (%d child deaths); retry EIO in %d ms; other reads: %d ok, 0 failed,"
              + " slowest %d ms%n",
          tookMs,
          s.restarts(),
          retryMs,
          r.reads().size() + r2.reads().size(),
          Math.max(r.maxReadMillis(from, to), r2.maxReadMillis(from, to)));
    }
  }
}
