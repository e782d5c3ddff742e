package io.ossfuse.oss;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link HedgedRead} with a watch: the first attempt runs on the caller's thread, a silent one is
 * hedged on a worker and ended when the hedge wins, and one that never answers ends at the
 * deadline.
 */
class HedgedReadTest {
  static final BodyTimeouts T =
      new BodyTimeouts(Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofSeconds(2));

  final ExecutorService workers = Executors.newCachedThreadPool();
  final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  final HedgedRead.Watch watch = new HedgedRead.Watch(timer, T);

  @AfterEach
  void stop() {
    workers.shutdownNow();
    timer.shutdownNow();
  }

  /** A body of {@code data}; {@code stall} (if not null) holds its first read until aborted. */
  static final class TestBody implements Body {
    private final ByteBuffer data;
    private final CountDownLatch stall;

    TestBody(byte[] data, CountDownLatch stall) {
      this.data = ByteBuffer.wrap(data);
      this.stall = stall;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (stall != null) {
        try {
          stall.await();
        } catch (InterruptedException e) {
          throw new IOException("interrupted");
        }
        throw new IOException("aborted");
      }
      if (!data.hasRemaining()) return -1;
      int n = Math.min(dst.remaining(), data.remaining());
      dst.put(data.slice(data.position(), n));
      data.position(data.position() + n);
      return n;
    }

    @Override
    public void abort() {
      if (stall != null) stall.countDown();
    }

    @Override
    public void close(boolean clean) {}
  }

  static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (i * 31 + seed);
    return b;
  }

  @Test
  void thePromptFirstAttemptRunsOnTheCallersThread() throws IOException {
    byte[] data = bytes(4096, 1);
    ByteBuffer dst = ByteBuffer.allocate(4096);
    List<Thread> ranOn = new CopyOnWriteArrayList<>();
    new HedgedRead(workers, watch, T, 3, "test", dst)
        .run(
            a -> {
              ranOn.add(Thread.currentThread());
              a.receive(new TestBody(data, null), "k");
            });
    assertEquals(List.of(Thread.currentThread()), ranOn);
    assertArrayEquals(data, dst.array());
    assertTrue(watch.reads.isEmpty(), "no read left under watch");
  }

  @Test
  void aSilentInlineAttemptIsHedgedAndEndedWhenTheHedgeWins() throws IOException {
    byte[] data = bytes(64 * 1024, 2);
    ByteBuffer dst = ByteBuffer.allocateDirect(data.length);
    AtomicInteger attempts = new AtomicInteger();
    long t0 = System.nanoTime();
    new HedgedRead(workers, watch, T, 3, "test", dst)
        .run(
            a -> {
              boolean first = attempts.incrementAndGet() == 1;
              TestBody body = new TestBody(data, first ? new CountDownLatch(1) : null);
              a.onCancel(body::abort);
              a.receive(body, "k");
            });
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(2, attempts.get(), "the stalled attempt and its hedge");
    assertTrue(ms < T.deadline().toMillis(), "the hedge won well before the deadline: " + ms);
    byte[] got = new byte[data.length];
    dst.flip().get(got);
    assertArrayEquals(data, got, "exactly the hedge's bytes");
  }

  @Test
  void anInlineAttemptThatNeverAnswersEndsAtTheDeadline() {
    BodyTimeouts noHedge =
        new BodyTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofMillis(300));
    HedgedRead.Watch w = new HedgedRead.Watch(timer, noHedge);
    ByteBuffer dst = ByteBuffer.allocate(4096);
    long t0 = System.nanoTime();
    assertThrows(
        HedgedRead.DeadlineExceeded.class,
        () ->
            new HedgedRead(workers, w, noHedge, 3, "test", dst)
                .run(
                    a -> {
                      TestBody body = new TestBody(new byte[4096], new CountDownLatch(1));
                      a.onCancel(body::abort);
                      a.receive(body, "k");
                    }));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms < 5_000, "ended at the deadline, not later: " + ms + " ms");
    assertEquals(0, dst.position(), "nothing presented as read");
  }
}
