package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The watchdog end to end with real processes and real mounts: a daemon JVM, bindfs children (real
 * FUSE servers), real bind mounts into a temp "pods" root, and the seed's reader loop.
 *
 * <pre>
 * BASE/src/data/file.txt      source dir served by bindfs
 * BASE/mnt                    the FUSE mountpoint
 * BASE/pods/p1/vol            bind of BASE/mnt           (whole mount)
 * BASE/pods/p2/vol            bind of BASE/mnt/data      (subPath)
 * </pre>
 */
class DaemonRecoveryTest {
  private static final String CONTENT = "hello from the dataset\n";
  private static final Duration RECOVER = Duration.ofSeconds(20);
  private DaemonHarness h;
  private Path src;
  private Path mnt;
  private String mp;

  @BeforeEach
  void setUp() throws Exception {
    h = new DaemonHarness();
    src = Files.createDirectories(h.base.resolve("src/data"));
    Files.writeString(src.resolve("file.txt"), CONTENT);
    Files.writeString(h.base.resolve("src/top.txt"), CONTENT);
    src = h.base.resolve("src");
    mnt = h.base.resolve("mnt");
    mp = mnt.toString();
    h.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private void mountAndBind() throws Exception {
    h.ok(ControlRequest.mount(h.bindfsSpec(src, mnt)));
    h.ok(ControlRequest.bind(mp, h.pods().resolve("p1/vol").toString()));
    h.ok(ControlRequest.bind(mp + "/data", h.pods().resolve("p2/vol").toString()));
  }

  private long childPid() throws Exception {
    MountStatus s =
        h.await(mp, m -> m.state() == MountState.HEALTHY && m.childPid() != null, RECOVER);
    return s.childPid();
  }

  private static void signal(String sig, long pid) {
    Exec.Result r = Exec.run(List.of("kill", "-" + sig, Long.toString(pid)), Duration.ofSeconds(5));
    assertTrue(r.ok(), "kill -" + sig + " " + pid + ": " + r.describe());
  }

  private static int mountsAt(Path p) {
    return (int)
        MountOps.mounts().entries().stream()
            .filter(e -> e.mountPoint().equals(p.toString()))
            .count();
  }

  @Test
  void childSigkillUnderReaderLoopHealsEveryTime() throws Exception {
    mountAndBind();
    Path t1 = h.pods().resolve("p1/vol");
    Path t2 = h.pods().resolve("p2/vol");
    assertEquals(CONTENT, Files.readString(t1.resolve("data/file.txt")));
    assertEquals(CONTENT, Files.readString(t2.resolve("file.txt")));
    int kills = Integer.getInteger("recovery.kills", 20);
    List<Long> stalls = new ArrayList<>();
    List<Long> errors = new ArrayList<>();
    try (ReaderLoop r1 = new ReaderLoop(t1, "top.txt", CONTENT);
        ReaderLoop r2 = new ReaderLoop(t2, "file.txt", CONTENT)) {
      r1.awaitGoodAfter(System.nanoTime(), RECOVER);
      for (int i = 0; i < kills; i++) {
        long pid = childPid();
        h.trackPid(pid);
        h.await(mp, m -> m.state() == MountState.HEALTHY, RECOVER);
        long killedAt = System.nanoTime();
        signal("KILL", pid);
        // Every target shows the new connection again: checked by waiting for it, since status
        // stats each target and one slow or failed stat on a loaded machine is no failed re-attach
        // (a re-attach that failed is retried at the next probe; one that never comes fails here).
        MountStatus s = h.awaitBoundAfter(mp, pid, RECOVER);
        long healthyAt = System.nanoTime();
        r1.awaitGoodAfter(healthyAt, RECOVER);
        r2.awaitGoodAfter(healthyAt, RECOVER);
        long back =
            Math.max(
                r1.outageEnd(killedAt, RECOVER).atNanos(),
                r2.outageEnd(killedAt, RECOVER).atNanos());
        stalls.add((back - killedAt) / 1_000_000);
        errors.add(r1.failuresBetween(killedAt, back) + r2.failuresBetween(killedAt, back));
        assertTrue(s.lastCrash().contains("SIGKILL"), s.lastCrash());
        // never stacked: exactly one mount on each target after every recovery
        assertEquals(1, mountsAt(t1), "mounts at " + t1);
        assertEquals(1, mountsAt(t2), "mounts at " + t2);
      }
    }
    MountStatus s = h.status(mp);
    assertEquals(kills, s.restarts());
    assertTrue(h.log().contains("recovered " + mp + " in "), "recovery line in the daemon log");
    List<Long> sorted = new ArrayList<>(stalls);
    Collections.sort(sorted);
    System.out.printf(
        "RECOVERY bindfs: %d kills, stall p50 %d ms, max %d ms; failed reads per kill %s (2 readers, every 100 ms)%n",
        kills, sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), errors);
  }

  @Test
  void daemonSigkillAdoptsLiveChildAndRecoversDeadOne() throws Exception {
    mountAndBind();
    Path t1 = h.pods().resolve("p1/vol");
    try (ReaderLoop r = new ReaderLoop(t1, "top.txt", CONTENT)) {
      long pid = childPid();
      // 1) daemon killed, child alive: the new daemon adopts it, readers never notice
      long at = System.nanoTime();
      h.killDaemon();
      Thread.sleep(500);
      h.start();
      MountStatus s = h.await(mp, m -> m.state() == MountState.HEALTHY, RECOVER);
      assertEquals(pid, s.childPid(), "adopted the running child");
      r.awaitGoodAfter(System.nanoTime(), RECOVER);
      assertEquals(
          0,
          r.failuresBetween(at, System.nanoTime()),
          "reads failed while the daemon was down: " + r.tail());

      // 2) daemon and child killed: the state file brings the mount and its targets back
      h.killDaemon();
      long killedAt = System.nanoTime();
      signal("KILL", pid);
      Thread.sleep(300);
      assertFalse(
          Exec.run(List.of("stat", t1.toString()), Duration.ofSeconds(2)).ok(),
          "target dead while no daemon");
      h.start();
      ReaderLoop.Read good = r.awaitGoodAfter(killedAt, RECOVER);
      s = h.awaitBound(mp, RECOVER);
      assertNotEquals(pid, s.childPid());
      assertEquals(2, s.targets().size());
      assertEquals(1, mountsAt(t1));
      System.out.printf(
          "RECOVERY daemon+child SIGKILL (daemon restarted 300 ms later): stall %d ms%n",
          (good.atNanos() - killedAt) / 1_000_000);
    }
  }

  @Test
  void sigstoppedChildIsDetectedKilledAndReplaced() throws Exception {
    mountAndBind();
    Path t2 = h.pods().resolve("p2/vol");
    long pid = childPid();
    h.trackPid(pid);
    try (ReaderLoop r = new ReaderLoop(t2, "file.txt", CONTENT)) {
      long at = System.nanoTime();
      signal("STOP", pid);
      MountStatus s =
          h.await(
              mp,
              m -> m.state() == MountState.HEALTHY && m.childPid() != null && m.childPid() != pid,
              RECOVER);
      long healthyAt = System.nanoTime();
      assertTrue(s.lastCrash().contains("hung"), s.lastCrash());
      assertFalse(
          ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "hung child killed");
      r.awaitGoodAfter(healthyAt, RECOVER);
      ReaderLoop.Read end = r.outageEnd(at, RECOVER);
      System.out.printf(
          "RECOVERY hang (SIGSTOP, probe every 300 ms, 700 ms timeout, 2 failures): replaced after %d ms,"
              + " reads back %d ms after the stop, %d failed/timed-out reads%n",
          (healthyAt - at) / 1_000_000,
          (end.atNanos() - at) / 1_000_000,
          r.failuresBetween(at, end.atNanos()));
    }
  }

  @Test
  void crashLoopBacksOffShowsFailedAndHealsWhenFixed() throws Exception {
    mountAndBind();
    long pid = childPid();
    Path moved = h.base.resolve("src-away");
    Files.move(src, moved);
    signal("KILL", pid);
    // the backoff doubles up to its cap (2 s in tests) while the daemon keeps retrying
    MountStatus s =
        h.await(
            mp,
            m ->
                m.state() == MountState.FAILED
                    && m.detail() != null
                    && m.detail().startsWith("retrying in 2000"),
            RECOVER);
    // 0 + 250 + 500 + 1000 ms of backoff before the cap: a handful of attempts, not a busy loop
    assertTrue(s.restarts() >= 3 && s.restarts() <= 7, "restarts " + s.restarts());
    Files.move(moved, src);
    s = h.awaitBound(mp, RECOVER);
    assertEquals(CONTENT, Files.readString(h.pods().resolve("p2/vol/file.txt")));
  }

  @Test
  void corruptStateFileFallsBackToPreviousVersion() throws Exception {
    mountAndBind();
    long pid = childPid();
    h.trackPid(pid);
    h.killDaemon();
    assertTrue(Files.exists(Path.of(h.stateFile() + ".prev")));
    Files.writeString(h.stateFile(), "{\"version\":1,\"mounts\":[{\"spec\":");
    h.start();
    MountStatus s = h.await(mp, m -> m.state() == MountState.HEALTHY, RECOVER);
    assertEquals(src.toString(), s.source());
    assertTrue(
        h.log().contains("is unreadable") && h.log().contains("using the previous version"),
        "one clear line");
  }

  @Test
  void aBadEntryBesideALiveMountIsSkippedAndTheLiveChildAdopted() throws Exception {
    mountAndBind();
    long pid = childPid();
    h.killDaemon();
    ObjectNode state = (ObjectNode) Json.mapper().readTree(h.stateFile().toFile());
    ((ArrayNode) state.get("mounts"))
        .insertObject(0); // {"version":1,"mounts":[{}, <the live mount>]}
    Files.write(h.stateFile(), Json.mapper().writeValueAsBytes(state));
    h.start();
    MountStatus s = h.await(mp, m -> m.state() == MountState.HEALTHY, RECOVER);
    assertEquals(pid, s.childPid(), "the live child is adopted, not orphaned");
    assertEquals(1, h.ok(ControlRequest.status()).mounts().size());
    assertEquals(
        1,
        h.log()
            .lines()
            .filter(l -> l.contains("skipped the entry for mount ? (no mount spec)"))
            .count(),
        h.log());
    try (Stream<Path> files = Files.list(h.stateFile().getParent())) {
      assertEquals(
          1,
          files.filter(f -> f.getFileName().toString().startsWith("state.json.rejected-")).count());
    }
  }

  @Test
  void anAdoptedChildKeepsItsUptime() throws Exception {
    mountAndBind();
    long pid =
        h.await(mp, m -> m.state() == MountState.HEALTHY && m.uptimeMs() >= 3000, RECOVER)
            .childPid();
    h.killDaemon();
    h.start();
    MountStatus s = h.await(mp, m -> m.state() == MountState.HEALTHY, RECOVER);
    assertEquals(pid, s.childPid(), "adopted");
    assertTrue(
        s.uptimeMs() >= 3000, "uptime goes on over a daemon restart: " + s.uptimeMs() + " ms");
  }

  @Test
  void stateAndLogsAreNotWorldReadableAndUmountRemovesTheMountsFiles() throws Exception {
    h.ok(ControlRequest.mount(h.bindfsSpec(src, mnt)));
    String id = h.bindfsSpec(src, mnt).id();
    Path stateDir = h.stateFile().getParent();
    Path mounts = stateDir.resolve("mounts");
    Path logs = h.base.resolve("logs");
    assertEquals("rwx------", mode(stateDir));
    assertEquals("rw-------", mode(h.stateFile()));
    assertEquals("rwx------", mode(mounts));
    assertEquals("rw-------", mode(mounts.resolve(id + ".json")));
    assertEquals("rwxr-x---", mode(logs));
    assertEquals("rw-r-----", mode(logs.resolve(id + ".log")));
    h.ok(ControlRequest.umount(mp, false));
    try (Stream<Path> left = Files.list(mounts)) {
      assertEquals(
          List.of(),
          left.filter(f -> f.getFileName().toString().startsWith(id)).toList(),
          "nothing of the mount left");
    }
    assertTrue(Files.exists(logs.resolve(id + ".log")), "its log stays for the admin");
  }

  private static String mode(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void targetRemovedWhileDaemonDownIsDropped() throws Exception {
    mountAndBind();
    Path t1 = h.pods().resolve("p1/vol");
    long pid = childPid();
    h.killDaemon();
    signal("KILL", pid);
    // the kubelet cleans up the deleted pod meanwhile
    Exec.run(List.of("umount", "-l", t1.toString()), Duration.ofSeconds(5));
    Files.delete(t1);
    Files.delete(t1.getParent());
    h.start();
    MountStatus s = h.awaitBound(mp, RECOVER);
    assertEquals(
        List.of(h.pods().resolve("p2/vol").toString()),
        s.targets().stream().map(MountStatus.TargetStatus::target).toList());
    assertFalse(Files.exists(t1), "a dropped target is not re-created");
    assertTrue(
        h.log().contains("dropped target " + t1), "log line for the dropped target: " + h.log());
  }

  @Test
  void refusesTargetsOutsideRootThroughSymlinksOrDotDot() throws Exception {
    h.ok(ControlRequest.mount(h.bindfsSpec(src, mnt)));
    Path outside = Files.createDirectories(h.base.resolve("elsewhere"));
    Files.createSymbolicLink(h.pods().resolve("link"), outside);
    ControlResponse r = h.send(ControlRequest.bind(mp, outside.resolve("vol").toString()));
    assertFalse(r.ok());
    assertTrue(r.error().contains("outside the allowed root"), r.error());
    r = h.send(ControlRequest.bind(mp, h.pods().resolve("link/vol").toString()));
    assertFalse(r.ok());
    assertTrue(r.error().contains("symlink"), r.error());
    r = h.send(ControlRequest.bind(mp, h.pods() + "/p1/../../elsewhere/vol"));
    assertFalse(r.ok());
    assertTrue(r.error().contains("'..'"), r.error());
    r = h.send(ControlRequest.bind(mp + "/../src", h.pods().resolve("p1/vol").toString()));
    assertFalse(r.ok());
    assertTrue(r.error().contains("'..'"), r.error());
    assertFalse(Files.exists(outside.resolve("vol")), "nothing created outside the root");
    assertEquals(0, mountsAt(outside.resolve("vol")));
    assertTrue(h.status(mp).targets().isEmpty());
  }

  @Test
  void umountRefusesWithTargetsAndForceUnbindsFirst() throws Exception {
    mountAndBind();
    Path t1 = h.pods().resolve("p1/vol");
    long pid = childPid();
    ControlResponse r = h.send(ControlRequest.umount(mp, false));
    assertFalse(r.ok());
    assertTrue(r.error().contains("bound target"), r.error());
    h.ok(ControlRequest.unbind(t1.toString()));
    assertEquals(0, mountsAt(t1));
    assertEquals(1, h.status(mp).targets().size());
    h.ok(ControlRequest.umount(mp, true));
    assertEquals(0, mountsAt(mnt));
    assertEquals(0, mountsAt(h.pods().resolve("p2/vol")));
    assertTrue(h.ok(ControlRequest.status()).mounts().isEmpty());
    assertTrue(
        ProcessHandle.of(pid)
            .map(
                p -> {
                  try {
                    return p.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS) != null;
                  } catch (Exception e) {
                    return false;
                  }
                })
            .orElse(true),
        "child gone");
  }
}
