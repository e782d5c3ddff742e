package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fuse.dev.Standby;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool on real processes ({@code sleep}) and real FIFOs; readiness is the marker a child
 * writes.
 */
final class StandbyPoolTest {
  @TempDir Path dir;
  private final ScheduledExecutorService exec = Executors.newSingleThreadScheduledExecutor();
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final List<Child> started = new ArrayList<>();
  private final List<Standby> gates = new ArrayList<>();
  private StandbyPool pool;
  private int fifos;

  @BeforeEach
  void setUp() {
    Connection conn =
        new Connection() {
          @Override
          public void prepare() {}

          @Override
          public Process start(ProcessBuilder pb) throws IOException {
            return pb.start();
          }

          @Override
          public void afterChildDeath() {}

          @Override
          public void close() {}

          @Override
          public Optional<Standby> prepareStandby() throws IOException {
            return Optional.of(Standby.prepare(dir, Standby.PREFIX + (++fifos)));
          }

          @Override
          public boolean activateStandby(Standby s) throws IOException {
            return s.activate();
          }
        };
    pool =
        new StandbyPool(
            "/mnt/test",
            conn,
            gate -> {
              Child c = Child.started(new ProcessBuilder("sleep", "600").start());
              started.add(c);
              gates.add(gate);
              return c;
            },
            exec,
            r -> r,
            now::get,
            () -> {});
  }

  @AfterEach
  void tearDown() throws Exception {
    on(
        () -> {
          pool.stopAll();
          return null;
        });
    exec.shutdownNow();
    for (Child c : started) c.kill();
  }

  @Test
  void fillsUpToTheTargetAndStopsTheYoungestExtra() throws Exception {
    on(
        () -> {
          pool.fill(2);
          return null;
        });
    assertEquals(2, started.size());
    assertEquals(2, (int) on(pool::size));
    on(
        () -> {
          pool.fill(1);
          return null;
        });
    assertEquals(1, (int) on(pool::size));
    assertTrue(
        started.get(1).onExit().get(10, TimeUnit.SECONDS) != null, "the youngest was stopped");
    assertTrue(started.get(0).isAlive());
    assertEquals(started.get(0).pid(), on(() -> pool.next().orElseThrow().pid()));
  }

  @Test
  void aReadyStandbyTakesOverBeforeAnOlderOneStillWarming() throws Exception {
    on(
        () -> {
          pool.fill(2);
          return null;
        });
    Files.createFile(
        gates.get(1).fifo().resolveSibling(gates.get(1).fifo().getFileName() + ".ready"));
    awaitTrue(() -> on(() -> Boolean.TRUE.equals(pool.nextReady())));
    StandbyPool.Promoted p = on(() -> pool.promote().orElseThrow());
    assertEquals(started.get(1).pid(), p.child().pid());
    assertTrue(p.wasReady());
    // with none ready, the one furthest into its start-up
    StandbyPool.Promoted q = on(() -> pool.promote().orElseThrow());
    assertEquals(started.get(0).pid(), q.child().pid());
    assertFalse(q.wasReady());
    assertTrue(on(() -> pool.promote().isEmpty()));
  }

  @Test
  void aDeadStandbyIsSkippedAtPromotionAndReplacedOnlyAfterAPause() throws Exception {
    on(
        () -> {
          pool.fill(1);
          return null;
        });
    started.get(0).kill();
    started.get(0).onExit().get(10, TimeUnit.SECONDS);
    awaitTrue(() -> on(() -> pool.size() == 0)); // its exit was noticed
    on(
        () -> {
          pool.fill(1);
          return null;
        });
    assertEquals(1, started.size(), "no new standby at once after one exited on its own");
    now.addAndGet(TimeUnit.SECONDS.toNanos(6));
    awaitTrue(() -> started.size() == 2); // the scheduled retry, after the pause
    Child second = started.get(1);
    second.kill();
    second.onExit().get(10, TimeUnit.SECONDS);
    assertTrue(on(() -> pool.promote().isEmpty()), "a dead standby is not woken");
  }

  @Test
  void aStandbyWokenAheadIsTheOnePromotedAndIsNeverStoppedAsExtra() throws Exception {
    on(
        () -> {
          pool.fill(2);
          return null;
        });
    Files.createFile(
        gates.get(1).fifo().resolveSibling(gates.get(1).fifo().getFileName() + ".ready"));
    awaitTrue(() -> on(() -> Boolean.TRUE.equals(pool.nextReady())));
    on(
        () -> {
          pool.wakeAhead(1);
          pool.wakeAhead(1); // a second sign of the same death wakes nobody else
          pool.fill(1); // the youngest, but taking over: the other one goes
          return null;
        });
    assertEquals(1, (int) on(pool::size));
    assertTrue(
        started.get(0).onExit().get(10, TimeUnit.SECONDS) != null, "the one not woken was stopped");
    try (var in = new java.io.FileInputStream(gates.get(1).fifo().toFile())) {
      assertEquals('g', in.read(), "its FIFO got the wake-up byte");
      assertEquals(0, in.available(), "exactly one");
    }
    StandbyPool.Promoted p = on(() -> pool.promote().orElseThrow());
    assertEquals(started.get(1).pid(), p.child().pid());
    assertTrue(p.wasReady());
    assertTrue(on(() -> pool.promote().isEmpty()));
  }

  private <T> T on(Callable<T> task) throws Exception {
    return exec.submit(task).get(30, TimeUnit.SECONDS);
  }

  private static void awaitTrue(Callable<Boolean> cond) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!cond.call()) {
      if (System.nanoTime() > deadline) throw new AssertionError("condition never held");
      Thread.sleep(20); // polling a condition, with a deadline
    }
  }
}
