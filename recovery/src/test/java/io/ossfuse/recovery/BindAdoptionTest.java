package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ossfuse.fuse.MountInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Binds made by someone else with a plain {@code mount --bind} (as Fluid's CSI and the kubelet make
 * them) under a shared mount (BASE, as / on a systemd node) are adopted from the mount table and
 * healed like the targets of {@code ossfuse bind}. Real mounts: a daemon JVM, bindfs children (a
 * child's death loses the FUSE connection, so every kill needs a re-attach), and a "pod" mount
 * namespace that sees the targets the way a container with {@code mountPropagation:
 * HostToContainer} does.
 *
 * <pre>
 * BASE/src/top.txt, BASE/src/data/file.txt   served by bindfs at BASE/mnt
 * BASE/pods/p1/vol                           mount --bind BASE/mnt        (whole mount)
 * BASE/pods/p2/vol                           mount --bind BASE/mnt/data   (subPath data)
 * BASE/elsewhere/vol                         mount --bind BASE/mnt        (outside the allowed root)
 * </pre>
 */
class BindAdoptionTest {
  private static final String CONTENT = "adopted and healed\n";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private DaemonHarness h;
  private Path mnt;
  private String mp;
  private Path p1;
  private Path p2;
  private PodNamespace pod;

  @BeforeEach
  void setUp() throws Exception {
    h = new DaemonHarness();
    // The node's / is shared (systemd): so are binds, and a pod's slave copy receives what is
    // mounted on them.
    for (List<String> cmd :
        List.of(
            List.of("mount", "--bind", h.base.toString(), h.base.toString()),
            List.of("mount", "--make-rshared", h.base.toString()))) {
      Exec.Result r = Exec.run(cmd, Duration.ofSeconds(10));
      assertTrue(r.ok(), cmd + ": " + r.describe());
    }
    Path src = Files.createDirectories(h.base.resolve("src/data"));
    Files.writeString(src.resolve("file.txt"), CONTENT);
    Files.writeString(h.base.resolve("src/top.txt"), CONTENT);
    mnt = h.base.resolve("mnt");
    mp = mnt.toString();
    p1 = h.pods().resolve("p1/vol");
    p2 = h.pods().resolve("p2/vol");
    h.start();
    h.ok(ControlRequest.mount(h.bindfsSpec(h.base.resolve("src"), mnt)));
    h.await(mp, m -> m.state() == MountState.HEALTHY, WAIT);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (pod != null) pod.close();
    } finally {
      h.close();
    }
  }

  private static void bind(Path source, Path target) throws Exception {
    Files.createDirectories(target);
    Exec.Result r =
        Exec.run(
            List.of("mount", "--bind", source.toString(), target.toString()),
            Duration.ofSeconds(10));
    assertTrue(r.ok(), "mount --bind " + source + " " + target + ": " + r.describe());
  }

  private static void umount(Path target) {
    Exec.Result r = Exec.run(List.of("umount", target.toString()), Duration.ofSeconds(10));
    assertTrue(r.ok(), "umount " + target + ": " + r.describe());
  }

  private MountStatus awaitTargets(Predicate<List<MountStatus.TargetStatus>> cond)
      throws Exception {
    try {
      return h.await(mp, m -> m.state() == MountState.HEALTHY && cond.test(m.targets()), WAIT);
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage() + "\n" + mountsUnderBase() + "daemon log:\n" + h.log(), e);
    }
  }

  private String mountsUnderBase() {
    StringBuilder b = new StringBuilder("mounts under ").append(h.base).append(":\n");
    for (MountInfo.Entry e : MountOps.mounts().entries()) {
      if (e.mountPoint().startsWith(h.base.toString())) b.append("  ").append(e).append('\n');
    }
    return b.toString();
  }

  private String read(Path file) throws Exception {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      throw new AssertionError(
          "cannot read " + file + ": " + e + "\n" + mountsUnderBase() + "daemon log:\n" + h.log(),
          e);
    }
  }

  private static boolean adoptedAndHealthy(List<MountStatus.TargetStatus> ts, Path... targets) {
    if (ts.size() != targets.length) return false;
    for (Path t : targets) {
      if (ts.stream().noneMatch(s -> s.target().equals(t.toString()) && s.adopted() && s.healthy()))
        return false;
    }
    return true;
  }

  /** The state file's targets of the mount. */
  private JsonNode stateTargets() throws Exception {
    for (JsonNode m : Json.mapper().readTree(h.stateFile().toFile()).path("mounts")) {
      if (m.path("spec").path("mountpoint").asText().equals(mp)) return m.path("targets");
    }
    throw new AssertionError("no state entry for " + mp);
  }

  /** The state file is written just after the status changes: polls it. */
  private void awaitState(java.util.concurrent.Callable<Boolean> cond) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!cond.call()) {
      if (System.nanoTime() > deadline) throw new AssertionError("state file: " + stateTargets());
      Thread.sleep(50);
    }
  }

  private JsonNode stateTarget(Path target) throws Exception {
    for (JsonNode t : stateTargets()) {
      if (t.path("target").asText().equals(target.toString())) return t;
    }
    return null;
  }

  /** Layers of the live connection stacked at {@code target}. */
  private int liveLayers(Path target) {
    MountInfo mi = MountOps.mounts();
    String dev = mi.top(mnt).orElseThrow().device();
    return (int) mi.at(target).stream().filter(e -> e.device().equals(dev)).count();
  }

  private long childPid() throws Exception {
    return h.await(mp, m -> m.state() == MountState.HEALTHY && m.childPid() != null, WAIT)
        .childPid();
  }

  private void killChildAndAwaitReattach(long pid) throws Exception {
    h.trackPid(pid);
    Exec.run(List.of("kill", "-KILL", Long.toString(pid)), Duration.ofSeconds(5));
    h.awaitBoundAfter(mp, pid, WAIT);
  }

  @Test
  void plainBindsOfTheMountAndOfASubdirectoryAreAdopted() throws Exception {
    bind(mnt, p1);
    bind(mnt.resolve("data"), p2);
    Path outside = h.base.resolve("elsewhere/vol");
    bind(mnt, outside);
    MountStatus s = awaitTargets(ts -> adoptedAndHealthy(ts, p1, p2));
    assertEquals(
        "data",
        s.targets().stream()
            .filter(t -> t.target().equals(p2.toString()))
            .findFirst()
            .orElseThrow()
            .subPath());
    awaitState(() -> stateTargets().size() == 2);
    JsonNode t2 = stateTarget(p2);
    assertTrue(
        t2 != null && t2.path("adopted").asBoolean() && t2.path("subPath").asText().equals("data"),
        "state file: " + stateTargets());
    assertTrue(stateTarget(p1).path("adopted").asBoolean(), "state file: " + stateTargets());
    assertTrue(h.log().contains("adopted the bind of " + mp + "/data at " + p2), h.log());
    umount(outside);
  }

  @Test
  void adoptedBindsServeAgainAfterRecoveriesThatLoseTheConnection() throws Exception {
    bind(mnt, p1);
    bind(mnt.resolve("data"), p2);
    awaitTargets(ts -> adoptedAndHealthy(ts, p1, p2));
    pod = PodNamespace.start(h.base.resolve("pod"), p1, p2);
    assertEquals(CONTENT, pod.read("0/top.txt"));
    for (int kill = 0; kill < 2; kill++) {
      killChildAndAwaitReattach(childPid());
      assertEquals(CONTENT, read(p1.resolve("data/file.txt")));
      assertEquals(CONTENT, read(p2.resolve("file.txt")));
      // the pod never re-mounted anything: the new bind reached it on top of its dead one
      assertEquals(
          CONTENT, pod.read("0/top.txt"), "pod view of " + p1 + " after kill " + (kill + 1));
      assertEquals(
          CONTENT, pod.read("1/file.txt"), "pod view of " + p2 + " after kill " + (kill + 1));
      assertEquals(1, liveLayers(p1), "live binds stacked at " + p1);
      assertEquals(1, liveLayers(p2), "live binds stacked at " + p2);
    }
    assertTrue(adoptedAndHealthy(h.status(mp).targets(), p1, p2), h.status(mp).toString());
  }

  @Test
  void anUnmountByTheOwnerForgetsTheTarget() throws Exception {
    bind(mnt, p1);
    bind(mnt.resolve("data"), p2);
    awaitTargets(ts -> adoptedAndHealthy(ts, p1, p2));
    umount(p1);
    awaitTargets(ts -> adoptedAndHealthy(ts, p2));
    awaitState(() -> stateTarget(p1) == null);
    assertTrue(h.log().contains("forgot adopted target " + p1), h.log());
    // after a lost connection the remaining bind is dead until re-attached; its owner unmounts it
    // meanwhile
    killChildAndAwaitReattach(childPid());
    umount(p2);
    awaitTargets(List::isEmpty);
    awaitState(() -> stateTargets().isEmpty());
  }

  @Test
  void adoptedBindsSurviveADaemonRestart() throws Exception {
    bind(mnt, p1);
    bind(mnt.resolve("data"), p2);
    awaitTargets(ts -> adoptedAndHealthy(ts, p1, p2));
    long pid = childPid();
    h.killDaemon();
    h.start();
    MountStatus s = awaitTargets(ts -> adoptedAndHealthy(ts, p1, p2));
    assertEquals(pid, s.childPid(), "the live child is adopted");
    // daemon and child both gone: the state file brings the adopted binds back on the new
    // connection
    h.killDaemon();
    h.trackPid(pid);
    Exec.run(List.of("kill", "-KILL", Long.toString(pid)), Duration.ofSeconds(5));
    h.start();
    awaitTargets(ts -> adoptedAndHealthy(ts, p1, p2));
    assertEquals(CONTENT, Files.readString(p1.resolve("top.txt")));
    assertEquals(CONTENT, Files.readString(p2.resolve("file.txt")));
    assertEquals(1, liveLayers(p1));
  }

  @Test
  void aSecondBindStackedOnATargetIsCollapsedToOne() throws Exception {
    bind(mnt, p1);
    awaitTargets(ts -> adoptedAndHealthy(ts, p1));
    bind(mnt, p1); // another recoverer binds it again
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (liveLayers(p1) > 1 && System.nanoTime() < deadline) Thread.sleep(50);
    assertEquals(1, liveLayers(p1), "stacked binds at " + p1);
    assertEquals(CONTENT, Files.readString(p1.resolve("top.txt")));
    assertTrue(adoptedAndHealthy(h.status(mp).targets(), p1), h.status(mp).toString());
    assertTrue(h.log().contains(p1 + " had 2 binds of " + mp + " stacked"), h.log());
  }

  @Test
  void ossfuseBindOfAnAdoptedTargetMakesItABoundOne() throws Exception {
    bind(mnt, p1);
    awaitTargets(ts -> adoptedAndHealthy(ts, p1));
    h.ok(ControlRequest.bind(mp, p1.toString()));
    MountStatus s = h.status(mp);
    assertEquals(1, s.targets().size(), s.toString());
    assertFalse(s.targets().get(0).adopted(), s.toString());
    assertFalse(stateTarget(p1).has("adopted"), "state file: " + stateTargets());
  }
}
