package io.ossfuse.oss;

import io.ossfuse.store.ObjectStoreException;
import io.ossfuse.store.ObjectStoreException.Kind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * One body fetched as consecutive parts, each its own ranged GET on its own connection and thread,
 * each written straight into its slice of the destination: one stream of a real OSS endpoint gives
 * ~100-200 MB/s, several side by side give several times that. The first failure aborts the other
 * parts; {@link #run} returns only once no part writes into the destination any more.
 */
final class ParallelParts {
  /**
   * Reads bytes [offset, offset + slice.remaining()) into {@code slice}, registering its bodies
   * with {@code parts}.
   */
  interface PartRead {
    void read(long offset, ByteBuffer slice, ParallelParts parts) throws IOException;
  }

  private final ExecutorService workers;
  private final Set<Body> live = ConcurrentHashMap.newKeySet();

  /**
   * The threads running a part now (guarded by this): interrupted on abort, never after their part.
   */
  private final Set<Thread> running = new java.util.HashSet<>();

  private volatile boolean aborted;
  private IOException failure;

  /** Parts started and parts ended (guarded by this). */
  private int started, ended;

  ParallelParts(ExecutorService workers) {
    this.workers = workers;
  }

  /**
   * How many parts for {@code length} bytes: at least {@code minPart} each, at most {@code
   * maxParts}.
   */
  static int count(long length, int minPart, int maxParts) {
    return (int) Math.max(1, Math.min(maxParts, length / minPart));
  }

  /**
   * Fills {@code dst} (position advanced by its remaining bytes) from {@code count} parts, or
   * throws the first part's failure. Part boundaries are multiples of 64 KiB.
   */
  void run(long offset, ByteBuffer dst, int count, PartRead read) throws IOException {
    int base = dst.position();
    int want = dst.remaining();
    int each = Math.max(1, (want / count) & ~0xFFFF);
    for (int i = 0; i < count; i++) {
      int from = i * each;
      int to = i == count - 1 ? want : from + each;
      ByteBuffer slice = dst.duplicate().limit(base + to).position(base + from).slice();
      if (!start(offset + from, slice, read, null)) break;
    }
    awaitAll();
    dst.position(base + want);
  }

  /**
   * Starts reading bytes [offset, offset + slice.remaining()) into {@code slice} on a worker;
   * {@code done} (if given) runs once that part ended, whether it succeeded or not. False when the
   * parts were aborted already or the workers are shut down ({@link #awaitAll} then throws).
   */
  boolean start(long offset, ByteBuffer slice, PartRead read, Runnable done) {
    boolean go;
    synchronized (this) {
      go = !aborted;
      if (go) started++;
    }
    if (!go) {
      if (done != null) done.run();
      return false;
    }
    try {
      workers.execute(
          () -> {
            Thread me = Thread.currentThread();
            try {
              synchronized (this) {
                if (aborted) return;
                running.add(me);
              }
              read.read(offset, slice, this);
            } catch (IOException e) {
              fail(e);
            } catch (RuntimeException e) {
              fail(new IOException("part at " + offset + " broke: " + e, e));
            } finally {
              synchronized (this) {
                running.remove(me);
              }
              Thread.interrupted(); // an abort's interrupt ends with this part
              if (done != null) done.run();
              synchronized (this) {
                ended++;
                notifyAll();
              }
            }
          });
      return true;
    } catch (RejectedExecutionException e) {
      fail(new ObjectStoreException(Kind.OTHER, "the store is closed", e));
      synchronized (this) {
        ended++;
        notifyAll();
      }
      if (done != null) done.run();
      return false;
    }
  }

  /** The first part's failure, or null while none failed. */
  synchronized IOException failure() {
    return failure;
  }

  /**
   * Waits until every part started has ended (none writes into its slice any more), then throws the
   * first failure, if any. An interrupt aborts the parts and is kept for the caller.
   */
  void awaitAll() throws IOException {
    boolean interrupted = false;
    while (true) {
      synchronized (this) {
        if (ended >= started) break;
        try {
          wait();
          continue;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      fail(new InterruptedIOException("interrupted")); // aborts the parts; then wait for them
    }
    if (interrupted) Thread.currentThread().interrupt();
    synchronized (this) {
      if (failure != null) throw failure;
    }
  }

  /**
   * A part's body, aborted with the others on the first failure; {@link #unregister} once closed.
   */
  void register(Body b) {
    live.add(b);
    if (aborted) b.abort();
  }

  void unregister(Body b) {
    live.remove(b);
  }

  private void fail(IOException e) {
    synchronized (this) {
      if (failure == null) failure = e; // the others fail because of it
    }
    abortAll();
  }

  /** Ends every part now: their connections are aborted and their threads interrupted. */
  void abortAll() {
    synchronized (this) {
      // a part that had not begun yet must not count as read
      if (failure == null) failure = new IOException("the parts were aborted");
    }
    aborted = true;
    for (Body b : live) b.abort();
    synchronized (this) {
      for (Thread t : running) t.interrupt();
    }
  }
}
