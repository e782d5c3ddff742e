package io.ossfuse.cache;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One cache directory of one level, with its own quota: the space accounting and the LRU order. No
 * I/O happens under the lock; see {@link Placement} for the protocol.
 *
 * <p>{@code used} counts the bytes of block files that exist (committed or being evicted), {@code
 * reserved} the bytes writers in flight may still create, {@code pendingFree} the part of {@code
 * used} already chosen for eviction. The hard invariant is {@code used + reserved <= quota}.
 */
final class Store {
  final int level;
  final MediumType type;
  final Path root;
  final Path tmpDir;
  final double high;
  final double low;
  final long configuredQuota;
  final LongAdder hits = new LongAdder();
  final LongAdder evictions = new LongAdder();

  private final java.util.concurrent.atomic.AtomicLong lastWarnNanos =
      new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
  private final ReentrantLock lock = new ReentrantLock();

  /** Committed, unclaimed blocks in access order (eldest first). */
  private final LinkedHashMap<BlockId, Entry> lru = new LinkedHashMap<>(1024, 0.75f, true);

  private long quota;
  private long used;
  private long reserved;
  private long pendingFree;

  Store(int level, MediumType type, Path root, long quota, double high, double low) {
    this.level = level;
    this.type = type;
    this.root = root;
    this.tmpDir = root.resolve("tmp");
    this.configuredQuota = quota;
    this.quota = quota;
    this.high = high;
    this.low = low;
  }

  /** How a takeover treats a level its exiting predecessor still holds locked. */
  record TakeoverLock(long waitMillis, java.util.function.Consumer<String> stillLocked) {}

  /**
   * The level's lock: taken now, or null if another process holds it. With {@code takeover}, a held
   * lock is its exiting predecessor's (it can write no more: the daemon wakes a standby only then),
   * which the kernel releases only after tearing that process's memory down, 50-300 ms later: the
   * level is used at once, and a thread takes the lock as soon as it is free ({@code stillLocked}
   * runs if it is not within the wait: then another live process uses the directory). Returns a
   * non-null lock, or the marker {@link #PENDING} for a lock still being taken.
   */
  static Object lock(java.nio.channels.FileChannel ch, TakeoverLock takeover, String where)
      throws java.io.IOException {
    java.nio.channels.FileLock fl = tryOnce(ch);
    if (fl != null || takeover == null) return fl;
    Thread t =
        new Thread(
            () -> {
              long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(takeover.waitMillis());
              try {
                while (System.nanoTime() < end) {
                  if (tryOnce(ch) != null) return;
                  // 10 ms: the takeover serves meanwhile, and a poll every 2 ms took CPU from it
                  Thread.sleep(10);
                }
              } catch (java.nio.channels.ClosedChannelException closedMeanwhile) {
                return; // the cache was closed before it got the lock
              } catch (java.io.IOException | InterruptedException e) {
                // reported below
              }
              takeover
                  .stillLocked()
                  .accept(
                      where
                          + ": the directory is still locked by another process "
                          + takeover.waitMillis() / 1000
                          + " s after the takeover; give each mount its own path");
            },
            "cache-lock");
    t.setDaemon(true);
    t.start();
    return PENDING;
  }

  /** A lock being taken by {@link #lock}'s thread. */
  static final Object PENDING = new Object();

  private static java.nio.channels.FileLock tryOnce(java.nio.channels.FileChannel ch)
      throws java.io.IOException {
    try {
      return ch.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException heldInThisProcess) {
      return null;
    }
  }

  /** Rate limit for warnings about this store's disk: a dying disk must not flood the log. */
  boolean shouldWarn() {
    long last = lastWarnNanos.get(), now = System.nanoTime();
    return now - last >= WARN_EVERY_NANOS && lastWarnNanos.compareAndSet(last, now);
  }

  Path pathFor(BlockId id) {
    return root.resolve(id.dirName()).resolve(id.fileName());
  }

  /**
   * Outcome of {@link #tryReserve}: victims the caller must evict (outside the lock) in any case.
   */
  record Reservation(boolean granted, boolean hopeless, List<Entry> victims) {}

  /**
   * Reserves {@code size} bytes if they fit under the quota. When usage (not counting blocks
   * already being evicted) would reach quota*high, least-recently-used blocks are claimed as
   * victims until it is at or under quota*low; their bytes stay counted in {@code used} until
   * {@link #release}.
   */
  Reservation tryReserve(long size) {
    lock.lock();
    try {
      if (size > quota) return new Reservation(false, true, List.of());
      List<Entry> victims = new ArrayList<>();
      long effective = used - pendingFree + reserved + size;
      if (effective > 0 && effective >= quota * high) {
        double target = quota * low;
        for (Iterator<Entry> it = lru.values().iterator(); effective > target && it.hasNext(); ) {
          Entry e = it.next();
          it.remove();
          pendingFree += e.fileSize;
          effective -= e.fileSize;
          victims.add(e);
        }
      }
      if (used + reserved + size <= quota) {
        reserved += size;
        return new Reservation(true, false, victims);
      }
      // space held by writers in flight: they will commit and become evictable, but do not wait for
      // that
      return new Reservation(false, victims.isEmpty() && pendingFree == 0, victims);
    } finally {
      lock.unlock();
    }
  }

  /** Gives back a reservation that did not become a block (write failed or lost a race). */
  void unreserve(long size) {
    lock.lock();
    try {
      reserved -= size;
    } finally {
      lock.unlock();
    }
  }

  /** Turns the reservation of a written, renamed block file into a committed, evictable block. */
  void commit(Entry e) {
    lock.lock();
    try {
      reserved -= e.fileSize;
      used += e.fileSize;
      lru.put(e.id, e);
    } finally {
      lock.unlock();
    }
  }

  /** Adds a block found on disk at start (callers add them in mtime order). */
  void adopt(Entry e) {
    lock.lock();
    try {
      used += e.fileSize;
      lru.put(e.id, e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes ownership of {@code e} away from the LRU (to move, promote or drop it).
   *
   * @return false when someone else already claimed it
   */
  boolean claim(Entry e) {
    lock.lock();
    try {
      if (!lru.remove(e.id, e)) return false;
      pendingFree += e.fileSize;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Hands a claimed entry back to the LRU (a promotion that did not happen). */
  void unclaim(Entry e) {
    lock.lock();
    try {
      pendingFree -= e.fileSize;
      lru.put(e.id, e);
    } finally {
      lock.unlock();
    }
  }

  /** Accounts for the deletion of a claimed entry's file. */
  void release(Entry e) {
    lock.lock();
    try {
      pendingFree -= e.fileSize;
      used -= e.fileSize;
    } finally {
      lock.unlock();
    }
  }

  void touch(Entry e) {
    lock.lock();
    try {
      lru.get(e.id);
    } finally {
      lock.unlock();
    }
  }

  /** The disk is full below the quota: lower the quota to what is in use so eviction makes room. */
  long lowerQuotaToUsage() {
    lock.lock();
    try {
      quota = Math.min(quota, used);
      return quota;
    } finally {
      lock.unlock();
    }
  }

  long free() {
    lock.lock();
    try {
      return quota - used - reserved + pendingFree;
    } finally {
      lock.unlock();
    }
  }

  /** Consistent copy of the accounting, for stats and invariant checks. */
  record Snapshot(long quota, long used, long reserved, long pendingFree, List<Entry> lruOrder) {}

  Snapshot snapshot(boolean withEntries) {
    lock.lock();
    try {
      return new Snapshot(
          quota, used, reserved, pendingFree, withEntries ? List.copyOf(lru.values()) : List.of());
    } finally {
      lock.unlock();
    }
  }

  int blocks() {
    lock.lock();
    try {
      return lru.size();
    } finally {
      lock.unlock();
    }
  }
}
