package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.MountOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real thing end to end: daemon JVM → FuseChildMain JVM (MountFactory, OSS SDK over HTTP to a
 * LocalOssServer on 127.0.0.1, the transport of the subclass: jnr or raw) → bind into a pod volume
 * path; the seed's reader loop while the child is SIGKILLed.
 */
abstract class OssfuseDaemonTest {
  /** The transport under test: jnr (the child mounts) or raw (the daemon holds the connection). */
  abstract String transport();

  private static final String CONTENT = "ossfuse survives its own death\n";

  /**
   * A new child JVM's start: 8.8 s seen at load 9 on 2 cores; the deadline leaves room for more.
   */
  private static final Duration RECOVER = Duration.ofSeconds(60);

  /** A child JVM start on a loaded 2-core machine took 8.8 s: wait for events, with room. */
  private static final Duration LOADED = Duration.ofSeconds(90);

  private DaemonHarness h;
  private LocalOssServer oss;
  private String mp;
  private MountSpec spec;

  @BeforeEach
  void setUp() throws Exception {
    h = new DaemonHarness();
    oss = LocalOssServer.builder().root(h.base.resolve("oss")).bucket("bkt").build().start();
    Path data = Files.createDirectories(oss.bucketDir("bkt").resolve("data/sub")).getParent();
    Files.writeString(data.resolve("hello.txt"), CONTENT);
    Files.writeString(data.resolve("sub/inner.txt"), CONTENT);
    Path creds = Files.createDirectories(h.base.resolve("creds"));
    Files.writeString(creds.resolve("fs.oss.accessKeyId"), oss.accessKeyId());
    Files.writeString(creds.resolve("fs.oss.accessKeySecret"), oss.accessKeySecret());
    mp = h.base.resolve("mnt").toString();
    h.start();
    MountOptions o =
        MountOptions.builder("oss://bkt/data", mp, oss.endpoint())
            .credDir(creds.toString())
            .allowOther(true)
            .transport(transport())
            .build();
    JsonNode options = Json.mapper().readTree(o.toJson());
    spec = new MountSpec(o.source(), mp, null, MountSpec.DRIVER_OSSFUSE, options);
    h.ok(ControlRequest.mount(spec));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      h.close();
    } finally {
      if (oss != null) oss.close();
    }
  }

  /**
   * Before a kill: the child serves (healthy); with raw, its standby said it is ready, so the
   * takeover is not a cold start (which a loaded machine can stretch past the readers' timeout).
   */
  private void settle() throws Exception {
    h.await(mp, m -> m.state() == MountState.HEALTHY, LOADED);
    if (!transport().equals("raw")) return;
    // the standby's own "ready" signal: warmed up, waiting on its FIFO
    long standby =
        h.await(
                mp,
                m -> m.state() == MountState.HEALTHY && Boolean.TRUE.equals(m.standbyReady()),
                LOADED)
            .standbyPid();
    h.trackPid(standby);
  }

  @Test
  void realChildSigkilledUnderReaderLoopHeals() throws Exception {
    Path t1 = h.pods().resolve("p1/vol");
    Path t2 = h.pods().resolve("p2/vol");
    h.ok(ControlRequest.bind(mp, t1.toString()));
    h.ok(ControlRequest.bind(mp + "/sub", t2.toString()));
    assertEquals(CONTENT, Files.readString(t1.resolve("hello.txt")));
    assertEquals(CONTENT, Files.readString(t2.resolve("inner.txt")));
    MountStatus s = h.status(mp);
    assertEquals(transport(), s.transport());
    assertTrue(s.source().equals("oss://bkt/data"));
    int kills = Integer.getInteger("recovery.ossfuse.kills", transport().equals("raw") ? 5 : 3);
    List<Long> stalls = new ArrayList<>();
    List<Long> errors = new ArrayList<>();
    List<Long> slowest = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    Duration readTimeout = Duration.ofSeconds(10);
    try (ReaderLoop r = new ReaderLoop(t1, "hello.txt", CONTENT, readTimeout);
        ReaderLoop r2 = new ReaderLoop(t2, "inner.txt", CONTENT, readTimeout)) {
      r.awaitGoodAfter(System.nanoTime(), RECOVER);
      for (int i = 0; i < kills; i++) {
        long pid =
            h.await(mp, m -> m.state() == MountState.HEALTHY && m.childPid() != null, RECOVER)
                .childPid();
        h.trackPid(pid);
        settle();
        long killedAt = System.nanoTime();
        assertTrue(
            Exec.run(List.of("kill", "-KILL", Long.toString(pid)), Duration.ofSeconds(5)).ok());
        s =
            h.await(
                mp,
                m -> m.state() == MountState.HEALTHY && m.childPid() != null && m.childPid() != pid,
                RECOVER);
        long healthyAt = System.nanoTime();
        r.awaitGoodAfter(healthyAt, RECOVER);
        r2.awaitGoodAfter(healthyAt, RECOVER);
        long back =
            Math.max(
                r.outageEnd(killedAt, RECOVER).atNanos(),
                r2.outageEnd(killedAt, RECOVER).atNanos());
        stalls.add((back - killedAt) / 1_000_000);
        errors.add(r.failuresBetween(killedAt, back) + r2.failuresBetween(killedAt, back));
        slowest.add(
            Math.max(
                r.maxReadMillis(killedAt - 200_000_000L, back),
                r2.maxReadMillis(killedAt - 200_000_000L, back)));
        r.failures(killedAt, back).forEach(f -> failed.add(f.detail()));
        assertTrue(s.lastCrash().contains("SIGKILL"), s.lastCrash());
      }
    }
    assertTrue(s.targets().stream().allMatch(MountStatus.TargetStatus::healthy), s.toString());
    if (transport().equals("raw")) {
      // The daemon holds the connection: a child's death is a pause, never an error.
      assertTrue(
          errors.stream().allMatch(e -> e == 0),
          "failed reads per kill " + errors + ": " + failed + "\n" + h.log());
    }
    List<Long> sorted = new ArrayList<>(stalls);
    Collections.sort(sorted);
    System.out.printf(
        "RECOVERY ossfuse("
            + transport()
            + "): %d kills, stall p50 %d ms, max %d ms; failed reads per kill %s;"
            + " slowest read around each kill %s ms (2 readers, every 100 ms)%n",
        kills,
        sorted.get(sorted.size() / 2),
        sorted.get(sorted.size() - 1),
        errors,
        slowest);
  }

  @Test
  void daemonRestartAdoptsTheRealChild() throws Exception {
    Path t1 = h.pods().resolve("p1/vol");
    h.ok(ControlRequest.bind(mp, t1.toString()));
    long pid = h.await(mp, m -> m.state() == MountState.HEALTHY, RECOVER).childPid();
    h.trackPid(pid);
    try (ReaderLoop r = new ReaderLoop(t1, "hello.txt", CONTENT, Duration.ofSeconds(10))) {
      long at = System.nanoTime();
      h.killDaemon();
      h.start();
      MountStatus s = h.await(mp, m -> m.state() == MountState.HEALTHY, RECOVER);
      assertEquals(pid, s.childPid());
      r.awaitGoodAfter(System.nanoTime(), RECOVER);
      assertEquals(0, r.failuresBetween(at, System.nanoTime()), r.tail());
      // and a later crash of the adopted child still heals; with raw the new daemon took the
      // connection back from the adopted child (pidfd_getfd), so that crash is seamless too.
      settle();
      long killedAt = System.nanoTime();
      assertTrue(
          Exec.run(List.of("kill", "-KILL", Long.toString(pid)), Duration.ofSeconds(5)).ok());
      s =
          h.await(
              mp,
              m -> m.state() == MountState.HEALTHY && m.childPid() != null && m.childPid() != pid,
              RECOVER);
      assertNotEquals(pid, s.childPid());
      r.awaitGoodAfter(System.nanoTime(), RECOVER);
      if (transport().equals("raw")) {
        assertEquals(
            0,
            r.failuresBetween(killedAt, System.nanoTime()),
            "adopted child's crash: " + r.tail() + "\n" + h.log());
        assertTrue(
            h.log().contains("took the FUSE connection of " + mp + " back from child " + pid),
            h.log());
      }
    }
  }

  @Test
  void umountRemovesTheMountsFiles() throws Exception {
    settle();
    Path files = h.stateFile().resolveSibling("mounts");
    assertTrue(Files.exists(files.resolve(spec.id() + ".json")));
    if (transport().equals("raw"))
      assertTrue(Files.isDirectory(files.resolve(spec.id() + ".session")), "the standby's FIFO");
    h.ok(ControlRequest.umount(mp, false));
    try (java.util.stream.Stream<Path> left = Files.list(files)) {
      assertEquals(
          List.of(), left.filter(f -> f.getFileName().toString().startsWith(spec.id())).toList());
    }
  }

  /** Raw only: a hung child is replaced by its standby; then daemon and child die together. */
  @Test
  void rawHangThenDaemonAndChildKilledTogether() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(transport().equals("raw"));
    Path t1 = h.pods().resolve("p1/vol");
    h.ok(ControlRequest.bind(mp, t1.toString()));
    long pid =
        h.await(
                mp,
                m -> m.state() == MountState.HEALTHY && Boolean.TRUE.equals(m.standbyReady()),
                RECOVER)
            .childPid();
    h.trackPid(pid);
    settle();
    try (ReaderLoop r = new ReaderLoop(t1, "hello.txt", CONTENT, Duration.ofSeconds(10))) {
      r.awaitGoodAfter(System.nanoTime(), RECOVER);
      long at = System.nanoTime();
      assertTrue(
          Exec.run(List.of("kill", "-STOP", Long.toString(pid)), Duration.ofSeconds(5)).ok());
      MountStatus s =
          h.await(
              mp,
              m -> m.state() == MountState.HEALTHY && m.childPid() != null && m.childPid() != pid,
              RECOVER);
      assertTrue(s.lastCrash().contains("hung"), s.lastCrash());
      r.awaitGoodAfter(System.nanoTime(), RECOVER);
      assertEquals(
          0,
          r.failuresBetween(at, System.nanoTime()),
          "requests of the hung child are re-sent: " + r.tail());
      System.out.printf(
          "RECOVERY raw hang (SIGSTOP): replaced after %d ms, slowest read %d ms, 0 failed reads%n",
          (System.nanoTime() - at) / 1_000_000, r.maxReadMillis(at, System.nanoTime()));

      // Daemon and child die together: nobody holds the connection any more. The state file brings
      // the mount back on a new connection and the dead bind is replaced (never stacked).
      long child = s.childPid();
      h.trackPid(child);
      if (s.standbyPid() != null) h.trackPid(s.standbyPid());
      h.killDaemon();
      long killedAt = System.nanoTime();
      assertTrue(
          Exec.run(List.of("kill", "-KILL", Long.toString(child)), Duration.ofSeconds(5)).ok());
      if (s.standbyPid() != null)
        Exec.run(List.of("kill", "-KILL", Long.toString(s.standbyPid())), Duration.ofSeconds(5));
      h.start();
      s = h.awaitBound(mp, RECOVER);
      assertNotEquals(child, s.childPid());
      r.awaitGoodAfter(System.nanoTime(), RECOVER);
      assertEquals(
          1,
          MountOps.mounts().entries().stream()
              .filter(e -> e.mountPoint().equals(t1.toString()))
              .count());
      System.out.printf(
          "RECOVERY raw daemon+child SIGKILL, daemon restarted at once: reads back after %d ms%n",
          (r.outageEnd(killedAt, RECOVER).atNanos() - killedAt) / 1_000_000);
    }
  }

  /**
   * Raw only: a crash loop (the bucket is gone, every new child exits) never ends the daemon-held
   * connection: once the backoff is no blip, requests are answered with EIO (fast, never ENOTCONN,
   * never hanging); when the bucket is back a child takes the same connection over, the bind is
   * never re-made.
   */
  @Test
  void rawCrashLoopAnswersEioOnTheSameConnectionThenComesBack() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(transport().equals("raw"));
    Path t1 = h.pods().resolve("p1/vol");
    h.ok(ControlRequest.bind(mp, t1.toString()));
    long pid = h.await(mp, m -> m.state() == MountState.HEALTHY, RECOVER).childPid();
    h.trackPid(pid);
    int minor = MountOps.mounts().top(t1).orElseThrow().minor();
    Path bucket = oss.bucketDir("bkt");
    Path away = bucket.resolveSibling("bkt-away");
    Files.move(bucket, away);
    try (ReaderLoop r = new ReaderLoop(t1, "hello.txt", CONTENT, Duration.ofSeconds(10))) {
      assertTrue(
          Exec.run(List.of("kill", "-KILL", Long.toString(pid)), Duration.ofSeconds(5)).ok());
      // 0, 250, 500, 1000 ms of backoff, each after a child JVM that fails to start: slow under
      // load
      MountStatus failed =
          h.await(
              mp,
              m ->
                  m.state() == MountState.FAILED
                      && m.detail() != null
                      && m.detail().startsWith("retrying in 2000"),
              Duration.ofSeconds(180));
      assertTrue(failed.detail().contains("answering requests with EIO"), failed.detail());
      long at = System.nanoTime();
      ReaderLoop.Read eio = awaitFailureAfter(r, at);
      assertTrue(eio.detail().contains("Input/output error"), "EIO, not ENOTCONN: " + r.tail());
      List<ReaderLoop.Read> bad = r.failures(at, System.nanoTime());
      assertTrue(
          bad.stream()
              .noneMatch(
                  f -> f.detail().equals("timed out") || f.detail().contains("not connected")),
          "reads fail fast with EIO: " + bad);
      assertEquals(
          minor,
          MountOps.mounts().top(t1).orElseThrow().minor(),
          "the same connection stays mounted");
      Files.move(away, bucket);
      MountStatus s = h.awaitBound(mp, RECOVER);
      h.trackPid(s.childPid());
      r.awaitGoodAfter(System.nanoTime(), RECOVER);
      assertEquals(
          minor, MountOps.mounts().top(t1).orElseThrow().minor(), "no new connection, no re-bind");
      assertEquals(
          1,
          MountOps.mounts().entries().stream()
              .filter(e -> e.mountPoint().equals(t1.toString()))
              .count());
      String log = h.log();
      assertFalse(log.contains("ending the FUSE connection"), log);
      assertTrue(log.contains("requests with EIO while no child served"), log);
    } finally {
      if (Files.exists(away)) Files.move(away, bucket);
    }
  }

  private static ReaderLoop.Read awaitFailureAfter(ReaderLoop r, long at)
      throws InterruptedException {
    long deadline = System.nanoTime() + RECOVER.toNanos();
    while (System.nanoTime() < deadline) {
      for (ReaderLoop.Read x : r.reads()) if (x.atNanos() > at && !x.ok()) return x;
      Thread.sleep(20);
    }
    throw new AssertionError("no failed read after the crash loop began: " + r.tail());
  }
}
