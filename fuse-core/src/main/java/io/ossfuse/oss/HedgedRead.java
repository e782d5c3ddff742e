package io.ossfuse.oss;

import io.ossfuse.store.ObjectStoreException;
import io.ossfuse.store.ObjectStoreException.Kind;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One read of {@code want} bytes through one or more ranged GETs ("attempts") on worker threads,
 * bounded in time by {@link BodyTimeouts}: an attempt silent for {@code hedgeAfter} gets a second
 * one beside it (the first to finish wins, the other is aborted); a failed attempt is replaced
 * after a backoff; the read fails once {@code maxFailures} attempts failed or at the deadline,
 * whichever comes first. The caller's buffer only ever ends up holding the bytes of one complete
 * attempt.
 */
final class HedgedRead {
  static final long BACKOFF_BASE_MS = 50;
  static final long BACKOFF_CAP_MS = 2000;

  /**
   * Runs one ranged GET of the read's range, handing its bytes to {@link Attempt#write} in order.
   */
  interface Fetch {
    void run(Attempt attempt) throws IOException;
  }

  private final ExecutorService workers;
  private final BodyTimeouts timeouts;
  private final int maxFailures;
  private final String what;
  private final ByteBuffer dst;
  private final int start;
  private final int want;
  private final BlockingQueue<Attempt> finished = new LinkedBlockingQueue<>();

  /**
   * Guards which attempt may write into {@link #dst}: at most one, and none once the read is
   * decided.
   */
  private final Object dstLock = new Object();

  private Attempt dstOwner;
  private int started;

  /** Watches the first attempt while it runs on the caller's thread; null: none runs there. */
  private final Watch watch;

  /** The first attempt while it runs on the caller's thread, and what it fetches. */
  private volatile Attempt inline;

  private Fetch inlineFetch;
  private long deadlineAt;

  /** A hedge the watch started beside the inline attempt (guarded by dstLock). */
  private Attempt inlineHedge;

  private boolean inlineDone;

  HedgedRead(
      ExecutorService workers,
      BodyTimeouts timeouts,
      int maxFailures,
      String what,
      ByteBuffer dst) {
    this(workers, null, timeouts, maxFailures, what, dst);
  }

  /**
   * With a {@code watch}, the first attempt runs on the caller's thread: a prompt answer costs no
   * thread hop (two context switches, the most of a 4 KiB read's own cost on a busy machine); the
   * watch starts its hedge or aborts it at the deadline.
   */
  HedgedRead(
      ExecutorService workers,
      Watch watch,
      BodyTimeouts timeouts,
      int maxFailures,
      String what,
      ByteBuffer dst) {
    this.watch = watch;
    this.workers = workers;
    this.timeouts = timeouts;
    this.maxFailures = maxFailures;
    this.what = what;
    this.dst = dst;
    this.start = dst.position();
    this.want = dst.remaining();
  }

  /**
   * Fills {@code dst} (position advanced by its remaining bytes) or throws; see the class comment.
   */
  void run(Fetch fetch) throws IOException {
    long t0 = System.nanoTime();
    long deadline = t0 + timeouts.deadline().toNanos();
    long hedgeAfter = timeouts.hedgeAfter().toNanos();
    List<Attempt> running = new ArrayList<>(2);
    int failures = 0;
    IOException last = null;
    long nextStart = t0;
    boolean ready = false; // the inline attempt's outcome is in finished
    try {
      if (watch != null) {
        Attempt first = newAttempt();
        running.add(first);
        inlineFetch = fetch;
        deadlineAt = deadline;
        inline = first;
        watch.reads.add(this);
        try {
          attempt(first, fetch);
        } finally {
          watch.reads.remove(this);
          synchronized (dstLock) {
            inlineDone = true;
            inline = null;
            if (inlineHedge != null) running.add(inlineHedge);
          }
        }
        ready = true;
      }
      while (true) {
        long now = System.nanoTime();
        if (now - deadline >= 0) {
          throw new DeadlineExceeded(
              what
                  + ": no complete answer within "
                  + timeouts.deadline().toMillis()
                  + " ms ("
                  + started
                  + " requests"
                  + (last == null ? "" : "; last error: " + last.getMessage())
                  + ")",
              last);
        }
        Attempt done;
        if (ready) {
          ready = false;
          done = finished.poll();
        } else {
          long wake = deadline;
          if (running.isEmpty()) {
            if (now - nextStart >= 0) {
              running.add(launch(fetch));
              continue;
            }
            if (nextStart - wake < 0) wake = nextStart;
          } else if (running.size() == 1) {
            long slowAt = running.get(0).lastProgress + hedgeAfter;
            if (now - slowAt >= 0) {
              running.add(launch(fetch));
              continue;
            }
            if (slowAt - wake < 0) wake = slowAt;
          }
          done = finished.poll(Math.max(0, wake - now), TimeUnit.NANOSECONDS);
        }
        if (done == null) continue;
        running.remove(done);
        synchronized (dstLock) {
          if (dstOwner == done && done.error != null) dstOwner = null; // its thread has ended
        }
        if (done.error == null) {
          decide(done);
          return;
        }
        if (!retriable(done.error)) throw done.error;
        last = done.error;
        if (++failures >= maxFailures) {
          throw new ObjectStoreException(
              Kind.UNAVAILABLE,
              what + " failed after " + failures + " attempts: " + last.getMessage(),
              last);
        }
        if (running.isEmpty()) {
          nextStart = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMillis(failures));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(what + ": interrupted");
    } finally {
      synchronized (dstLock) {
        disown(); // whatever still runs can no longer touch dst
      }
      for (Attempt a : running) a.cancel();
    }
  }

  /** The read was not complete at its deadline. */
  static final class DeadlineExceeded extends ObjectStoreException {
    DeadlineExceeded(String message, Throwable cause) {
      super(Kind.UNAVAILABLE, message, cause);
    }
  }

  static long backoffMillis(int failures) {
    return Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS << Math.min(failures - 1, 20));
  }

  /**
   * A broken, short, long or silent body, or an endpoint that cannot be reached: worth another GET.
   */
  static boolean retriable(IOException e) {
    return !(e instanceof ObjectStoreException ose) || ose.kind() == Kind.UNAVAILABLE;
  }

  private Attempt newAttempt() {
    synchronized (dstLock) {
      // The first attempt writes straight into dst; one started beside it gets its own buffer.
      boolean ownsDst = dstOwner == null;
      Attempt a = new Attempt(++started, ownsDst ? null : new byte[want]);
      if (ownsDst) dstOwner = a;
      return a;
    }
  }

  private Attempt launch(Fetch fetch) throws ObjectStoreException {
    Attempt a = newAttempt();
    try {
      workers.execute(() -> attempt(a, fetch));
    } catch (RejectedExecutionException e) {
      throw new ObjectStoreException(Kind.OTHER, what + ": the store is closed", e);
    }
    return a;
  }

  /** Runs attempt {@code a} on this thread and queues its outcome in {@link #finished}. */
  private void attempt(Attempt a, Fetch fetch) {
    try {
      fetch.run(a);
    } catch (IOException e) {
      a.error = e;
    } catch (RuntimeException e) {
      a.error = new IOException("request " + a.number + " broke: " + e, e);
    } finally {
      if (a.error == null && a.got != want) {
        a.error =
            new IOException(
                "request " + a.number + " ended after " + a.got + " of " + want + " bytes");
      }
      finished.add(a);
      // a hedge that won ends the inline attempt, so that its caller gets to decide
      Attempt first = inline;
      if (a.error == null && first != null && first != a) first.cancel();
    }
  }

  /**
   * From the watch: hedges the inline attempt once it has been silent for {@code hedgeAfter},
   * aborts it at the deadline (its caller then reports the deadline).
   */
  void checkInline(long now) {
    Attempt first = inline;
    if (first == null) return;
    if (now - deadlineAt >= 0) {
      first.cancel();
      return;
    }
    if (now - (first.lastProgress + timeouts.hedgeAfter().toNanos()) < 0) return;
    synchronized (dstLock) {
      if (inlineDone || inlineHedge != null) return;
      try {
        inlineHedge = launch(inlineFetch);
      } catch (ObjectStoreException closed) {
        // the store is closing: the inline attempt ends with it
      }
    }
  }

  /**
   * Reads whose first attempt runs on its caller's thread, checked every tick for a hedge or the
   * deadline: one periodic task for all reads instead of a timer per read.
   */
  static final class Watch {
    final java.util.Set<HedgedRead> reads = java.util.concurrent.ConcurrentHashMap.newKeySet();

    Watch(java.util.concurrent.ScheduledExecutorService timer, BodyTimeouts timeouts) {
      long tick =
          Math.max(
              5,
              Math.min(
                  100,
                  Math.min(timeouts.hedgeAfter().toMillis(), timeouts.deadline().toMillis()) / 4));
      timer.scheduleAtFixedRate(this::check, tick, tick, TimeUnit.MILLISECONDS);
    }

    private void check() {
      long now = System.nanoTime();
      for (HedgedRead r : reads) r.checkInline(now);
    }
  }

  /** {@code winner} has every byte: make sure dst holds exactly its bytes. */
  private void decide(Attempt winner) {
    synchronized (dstLock) {
      disown();
      if (winner.own != null) dst.put(start, winner.own, 0, want);
    }
    dst.position(start + want);
  }

  /**
   * Takes dst from its owner, and once this returns the owner no longer writes into it: one reading
   * from its connection straight into dst is aborted and waited for. Holds {@link #dstLock}.
   */
  private void disown() {
    Attempt owner = dstOwner;
    dstOwner = null;
    if (owner == null || !owner.receiving) return;
    owner.cancel(); // aborts its connection: the blocked read ends at once
    boolean interrupted = false;
    while (owner.receiving) {
      try {
        dstLock.wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /** One ranged GET of the read. */
  final class Attempt {
    final int number;

    /** Where this attempt's bytes go when dst belongs to another attempt; else null. */
    private final byte[] own;

    volatile long lastProgress = System.nanoTime();
    private int got;
    private IOException error;
    private volatile boolean cancelled;
    private Runnable abort;

    /** A read from the connection straight into dst is under way (guarded by dstLock). */
    private boolean receiving;

    private Attempt(int number, byte[] own) {
      this.number = number;
      this.own = own;
    }

    /**
     * Reads the rest of this attempt's bytes from {@code body}: straight into dst while this
     * attempt owns it (no copy), else into its own buffer. Throws once the read no longer wants
     * them.
     */
    void receive(Body body, String key) throws IOException {
      while (got < want) {
        int n;
        if (own != null) {
          if (cancelled) throw new IOException("request " + number + " was cancelled");
          n = body.read(ByteBuffer.wrap(own, got, want - got));
        } else {
          ByteBuffer into;
          synchronized (dstLock) {
            if (dstOwner != this) throw new IOException("request " + number + " was cancelled");
            into = dst.duplicate().limit(start + want).position(start + got);
            receiving = true;
          }
          try {
            n = body.read(into);
          } finally {
            synchronized (dstLock) {
              receiving = false;
              dstLock.notifyAll();
            }
          }
        }
        if (n < 0)
          throw new EOFException(
              "body of " + key + " ended after " + got + " of " + want + " bytes");
        got += n;
        lastProgress = System.nanoTime();
      }
    }

    /** Headers (or any sign of life) arrived. */
    void alive() {
      lastProgress = System.nanoTime();
    }

    /** Bytes written so far. */
    int got() {
      return got;
    }

    int want() {
      return want;
    }

    /**
     * How to abort this attempt's request from another thread; runs at once if already cancelled.
     */
    void onCancel(Runnable r) {
      boolean now;
      synchronized (this) {
        abort = r;
        now = cancelled;
      }
      if (now && r != null) r.run();
    }

    boolean cancelled() {
      return cancelled;
    }

    void cancel() {
      Runnable r;
      synchronized (this) {
        cancelled = true;
        r = abort;
      }
      if (r != null) r.run();
    }
  }
}
