package io.ossfuse.oss;

import io.ossfuse.store.ObjectStoreException;
import io.ossfuse.store.ObjectStoreException.Kind;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
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
    CountDownLatch done = new CountDownLatch(count);
    for (int i = 0; i < count; i++) {
      int from = i * each;
      int to = i == count - 1 ? want : from + each;
      ByteBuffer slice = dst.duplicate().limit(base + to).position(base + from).slice();
      long off = offset + from;
      try {
        workers.execute(
            () -> {
              Thread me = Thread.currentThread();
              try {
                synchronized (this) {
                  if (aborted) return;
                  running.add(me);
                }
                read.read(off, slice, this);
              } catch (IOException e) {
                fail(e);
              } catch (RuntimeException e) {
                fail(new IOException("part at " + off + " broke: " + e, e));
              } finally {
                synchronized (this) {
                  running.remove(me);
                }
                Thread.interrupted(); // an abort's interrupt ends with this part
                done.countDown();
              }
            });
      } catch (RejectedExecutionException e) {
        fail(new ObjectStoreException(Kind.OTHER, "the store is closed", e));
        for (int j = i; j < count; j++) done.countDown();
        break;
      }
    }
    if (aborted) abortAll();
    boolean interrupted = false;
    while (true) {
      try {
        done.await(); // every part: none may write into dst once we return
        break;
      } catch (InterruptedException e) {
        interrupted = true;
        fail(new InterruptedIOException("interrupted"));
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
    synchronized (this) {
      if (failure != null) throw failure;
    }
    dst.position(base + want);
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
    aborted = true;
    for (Body b : live) b.abort();
    synchronized (this) {
      for (Thread t : running) t.interrupt();
    }
  }
}
