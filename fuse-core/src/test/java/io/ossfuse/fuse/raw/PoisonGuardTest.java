package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generations of children simulated by opening guards in turn; a "crash" is a request never done.
 */
class PoisonGuardTest {
  @TempDir Path dir;

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final PoisonPolicy policy =
      new PoisonPolicy(2, Duration.ofMinutes(10), Duration.ofHours(1));

  private PoisonGuard open() {
    return PoisonGuard.open(new SessionState(dir, "9-s"), 4, policy, now::get);
  }

  private static Requests read(long node, long offset, int size) {
    return Requests.op(Wire.READ, 2, node).readIn(77, offset, size);
  }

  private static boolean admit(PoisonGuard.Slot s, Requests r) {
    return s.admit(r.build(), r.length());
  }

  @Test
  void aRequestInFlightAtTwoCrashesInARowIsAnsweredEioAloneUntilItsQuarantineEnds()
      throws Exception {
    Requests poison = read(7, 0, 131072);
    Requests other = Requests.op(Wire.LOOKUP, 4, 1).cstr("hello.txt");
    PoisonGuard g1 = open();
    assertTrue(admit(g1.slot(0), poison));
    assertTrue(admit(g1.slot(1), other));
    // crash 1: both in flight
    PoisonGuard g2 = open();
    assertEquals(2, g2.state().suspects().size());
    assertTrue(g2.state().quarantine().isEmpty());
    PoisonGuard.Slot a = g2.slot(0);
    assertTrue(admit(a, other));
    a.done(); // served: innocent
    assertTrue(admit(a, poison));
    PoisonGuard.Slot b = g2.slot(1);
    Requests fresh = Requests.op(Wire.GETATTR, 6, 3).i32(0).i32(0).i64(0);
    assertTrue(admit(b, fresh));
    assertTrue(admit(g2.slot(2), other)); // the same lookup again, in flight at crash 2
    // crash 2: the poison again, the lookup for the first time since it was served
    PoisonGuard g3 = open();
    assertEquals(1, g3.state().quarantine().size());
    assertEquals(
        new RequestId(RequestId.key(Wire.READ, 7, 0, 131072), Wire.READ, 7, 0, 131072),
        g3.state().quarantine().get(0).id());
    assertEquals(2, g3.state().suspects().size(), "the getattr and the lookup, once each");
    assertTrue(
        g3.state().suspects().stream().allMatch(s -> s.crashes() == 1), g3.state().toString());
    PoisonGuard.Slot s = g3.slot(3);
    assertFalse(admit(s, poison));
    s.done();
    assertFalse(admit(s, read(7, 0, 4096)), "the kernel's page-sized retry of the same range");
    s.done();
    assertTrue(admit(s, read(7, 131072, 4096)), "another range of the file");
    s.done();
    assertTrue(admit(s, read(8, 0, 131072)), "another file");
    s.done();
    assertTrue(admit(s, other));
    s.done();
    // the quarantine outlives further generations, then ends
    PoisonGuard g4 = open();
    assertFalse(admit(g4.slot(0), poison));
    now.addAndGet(Duration.ofMinutes(10).toMillis());
    assertTrue(admit(g4.slot(1), poison));
  }

  /**
   * Under a supervisor that notes how children ended, children killed from outside again and again
   * (an OOM-kill loop, a test's kill -9) never get a request quarantined; once one of them is noted
   * as ended by itself, the request is.
   */
  @Test
  void outsideKillsNeverQuarantineARequestACrashOfItsOwnDoes() throws Exception {
    ExitNotes.prepare(dir);
    long me = ProcessHandle.current().pid(); // every simulated generation is this process
    ExitNotes.write(dir, me, false, "SIGKILL");
    Requests getattr = Requests.op(Wire.GETATTR, 6, 3).i32(0).i32(0).i64(0);
    for (int crash = 0; crash <= 4; crash++) {
      PoisonGuard g = open();
      assertTrue(g.state().quarantine().isEmpty(), "after " + crash + " outside kills");
      assertTrue(admit(g.slot(0), getattr)); // in flight at the next kill
    }
    ExitNotes.write(dir, me, true, "exit 2");
    PoisonGuard g = open();
    assertEquals(1, g.state().quarantine().size(), "a crash of its own");
    assertFalse(admit(g.slot(0), getattr));
  }

  @Test
  void suspectsAreServedOneAtATimeAndOthersAtOnce() throws Exception {
    Requests p = read(7, 0, 4096);
    Requests q = read(8, 0, 4096);
    PoisonGuard g1 = open();
    assertTrue(admit(g1.slot(0), p));
    assertTrue(admit(g1.slot(1), q));
    PoisonGuard g2 = open();
    PoisonGuard.Slot first = g2.slot(0);
    assertTrue(admit(first, p));
    CountDownLatch admitted = new CountDownLatch(1);
    Thread t =
        new Thread(
            () -> {
              PoisonGuard.Slot second = g2.slot(1);
              admit(second, q);
              admitted.countDown();
              second.done();
            });
    t.start();
    PoisonGuard.Slot third = g2.slot(2);
    assertTrue(admit(third, read(9, 0, 4096)), "not a suspect: no waiting");
    third.done();
    assertFalse(
        admitted.await(200, TimeUnit.MILLISECONDS), "the second suspect waits for the first");
    first.done();
    assertTrue(admitted.await(10, TimeUnit.SECONDS));
    t.join();
  }

  @Test
  void aChildThatSurvivesResetsTheCounts() throws Exception {
    PoisonPolicy quick = new PoisonPolicy(2, Duration.ofMinutes(10), Duration.ofMillis(50));
    Requests p = read(7, 0, 4096);
    assertTrue(
        admit(PoisonGuard.open(new SessionState(dir, "9-s"), 2, quick, now::get).slot(0), p));
    PoisonGuard g2 = PoisonGuard.open(new SessionState(dir, "9-s"), 2, quick, now::get);
    assertEquals(1, g2.state().suspects().size());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!PoisonState.load(dir, "9-s").suspects().isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "counts were not reset");
      Thread.sleep(10);
    }
    assertTrue(admit(g2.slot(0), p)); // in flight at a crash long after: its first
    PoisonGuard g3 = PoisonGuard.open(new SessionState(dir, "9-s"), 2, quick, now::get);
    assertTrue(g3.state().quarantine().isEmpty());
    assertEquals(1, g3.state().suspects().get(0).crashes());
  }

  @Test
  void garbageStateOrRingIsIgnoredAndServingGoesOn() throws Exception {
    PoisonGuard g1 = open();
    assertTrue(admit(g1.slot(0), read(7, 0, 4096)));
    byte[] junk = new byte[5000];
    new Random(2).nextBytes(junk);
    Files.write(dir.resolve(InFlightRing.FILE), junk);
    PoisonGuard g2 = open();
    assertTrue(g2.state().suspects().isEmpty(), "an unreadable ring tells nothing");
    assertTrue(admit(g2.slot(0), read(7, 0, 4096)));
    Files.writeString(dir.resolve(PoisonState.FILE), "session=9-s\ngeneration=zz\nsuspect.0=1,2\n");
    PoisonGuard g3 = open();
    assertTrue(g3.state().suspects().isEmpty());
    PoisonGuard.Slot s = g3.slot(1);
    assertTrue(admit(s, read(7, 0, 4096)));
    s.done();
    assertEquals(
        List.of(),
        InFlightRing.read(dir.resolve(InFlightRing.FILE), g3.state().generation()).inFlight());
  }

  @Test
  void anotherSessionsFilesStartAfresh() throws Exception {
    assertTrue(admit(open().slot(0), read(7, 0, 4096)));
    PoisonGuard other = PoisonGuard.open(new SessionState(dir, "10-t"), 4, policy, now::get);
    assertEquals(1, other.state().generation());
    assertTrue(other.state().suspects().isEmpty());
  }

  @Test
  void requestsOnTheRootAreServedAloneButNeverQuarantined() throws Exception {
    Requests root = Requests.op(Wire.GETATTR, 8, 1).i32(0).i32(0).i64(0); // the daemon's probe
    assertTrue(admit(open().slot(0), root));
    assertTrue(admit(open().slot(0), root));
    PoisonGuard g3 = open();
    assertTrue(g3.state().quarantine().isEmpty());
    assertEquals(2, g3.state().suspects().get(0).crashes());
    assertTrue(admit(g3.slot(0), root));
  }

  @Test
  void requestsWithoutAReplyAreNotTracked() throws Exception {
    PoisonGuard g1 = open();
    PoisonGuard.Slot s = g1.slot(0);
    assertTrue(admit(s, Requests.op(Wire.FORGET, 3, 7).i64(1)));
    assertTrue(open().state().suspects().isEmpty());
  }

  /**
   * A passthrough open needs nothing from the child after OPEN and GETATTR, so a kill can follow
   * the reply at once: what a successor reads at the moment the kernel takes the reply must not
   * show the request in flight, or two such kills quarantine the file's GETATTR (EIO to every stat
   * and open).
   */
  @Test
  void aRequestWhoseReplyTheKernelTookIsNotInFlightWhenTheChildIsKilledRightAfter()
      throws Exception {
    Requests getattr = Requests.op(Wire.GETATTR, 6, 3).i32(0).i32(0).i64(0);
    PoisonGuard g = open();
    long generation = g.state().generation();
    AtomicReference<List<RequestId>> atReply = new AtomicReference<>();
    ByteBuffer request = getattr.build();
    FuseChannel kernel =
        new FuseChannel() {
          @Override
          public long read(ByteBuffer buf, int capacity) {
            buf.clear();
            buf.put(request.duplicate().limit(getattr.length()));
            return getattr.length();
          }

          @Override
          public int write(ByteBuffer buf, int len) {
            // the kernel has the reply and the test kills the child now: what its successor reads
            try {
              atReply.set(InFlightRing.read(dir.resolve(InFlightRing.FILE), generation).inFlight());
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
            return 0;
          }
        };
    Dispatcher d =
        new Dispatcher(new PatternFileSystem(0, false, 0, 0), RawFuseConfig.defaults(), in -> null);
    Worker w = new Worker(kernel, d, RawFuseConfig.defaults(), g.slot(0));
    assertEquals(Wire.GETATTR, w.serveOne());
    assertEquals(List.of(), atReply.get(), "in flight when its reply was written");
  }
}
