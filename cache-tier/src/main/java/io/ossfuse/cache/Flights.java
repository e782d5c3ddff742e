package io.ossfuse.cache;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads in flight and blocks just loaded. Misses of one key share one loader call ({@code
 * inflight}); the flight ends only after the block is cached (or not), so a read arriving meanwhile
 * either joins the load or finds the block. A loaded block stays "hot" in its pooled buffer while
 * that is still held (until its end was read or the pool needs the buffer): its next reader copies
 * it from memory instead of reading the file back. A buffer goes back to the pool when the loader
 * and every reader holding it are done.
 *
 * <p>About 470 lines: single-flight and hot buffers share one reference count per buffer (the
 * loader's and each reader's), which is the part that must stay in one place.
 */
final class Flights {
  private static final Logger log = LoggerFactory.getLogger(Flights.class);
  static final long BUFFER_WAIT_MILLIS = 2000;

  /** Stands for "no pooled buffer" among a run's pending buffers (a deque holds no null). */
  private static final ByteBuffer NONE = ByteBuffer.allocate(0);

  /** Caches a loaded block. */
  @FunctionalInterface
  interface Keeper {
    /**
     * @return whether a file was committed (it may have been invalidated again since)
     */
    boolean store(BlockKey key, BlockId id, ByteBuffer block);
  }

  private final int blockSize;
  private final ConcurrentHashMap<BlockId, Entry> index;
  private final CachedReads reads;
  private final Keeper keeper;
  private final Counters counters;
  private final BufferPool buffers;
  private final BooleanSupplier closed;
  private final ConcurrentHashMap<BlockKey, CompletableFuture<Loaded>> inflight =
      new ConcurrentHashMap<>();

  /** Blocks still in their pooled buffer after their load; oldest first in {@code hotOrder}. */
  private final ConcurrentHashMap<BlockId, Loaded> hot = new ConcurrentHashMap<>();

  private final ConcurrentLinkedQueue<Loaded> hotOrder = new ConcurrentLinkedQueue<>();

  Flights(
      int blockSize,
      ConcurrentHashMap<BlockId, Entry> index,
      CachedReads reads,
      Keeper keeper,
      Counters counters,
      BufferPool buffers,
      BooleanSupplier closed) {
    this.blockSize = blockSize;
    this.index = index;
    this.reads = reads;
    this.keeper = keeper;
    this.counters = counters;
    this.buffers = buffers;
    this.closed = closed;
  }

  /**
   * A freshly loaded block shared with the readers that joined its load. A pooled buffer goes back
   * to the pool when the loader and every reader that {@link RefCounted#retain retained} it are
   * done.
   */
  private final class Loaded extends RefCounted {
    final BlockKey key;
    final BlockId id;
    final ByteBuffer data;
    private final ByteBuffer pooled;

    Loaded(BlockKey key, BlockId id, ByteBuffer data, ByteBuffer pooled) {
      this.key = key;
      this.id = id;
      this.data = data;
      this.pooled = pooled;
    }

    @Override
    void free() {
      if (pooled != null) buffers.give(pooled);
    }
  }

  boolean loading(BlockKey key) {
    return inflight.containsKey(key);
  }

  /**
   * Joins the load of {@code key} in flight, or loads it (and caches it) when none is.
   *
   * @return bytes copied, or -1 when the block is to be looked up in the cache again (the load it
   *     joined found it cached, or its buffer went back to the pool after it was cached)
   */
  int joinOrLoad(BlockKey key, BlockId id, int off, ByteBuffer dst, BlockLoader loader)
      throws IOException {
    CompletableFuture<Loaded> mine = new CompletableFuture<>();
    CompletableFuture<Loaded> other = inflight.putIfAbsent(key, mine);
    if (other == null) return loadAndStore(key, id, off, dst, loader, mine);
    Loaded block = Loads.await(other);
    return copyJoined(block, off, dst);
  }

  /**
   * Joins the load of {@code key} in flight, if there is one.
   *
   * @return bytes copied, or -1 when none is in flight, it failed (the caller fetches on its own,
   *     with its own retries) or the block is to be looked up in the cache again (as {@link
   *     #joinOrLoad})
   */
  int joinIfLoading(BlockKey key, int off, ByteBuffer dst) throws IOException {
    CompletableFuture<Loaded> other = inflight.get(key);
    if (other == null) return -1;
    Loaded block;
    try {
      block = Loads.await(other);
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return copyJoined(block, off, dst);
  }

  /** Copies from a joined load's buffer, or -1 when it is gone (look in the cache again). */
  private int copyJoined(Loaded block, int off, ByteBuffer dst) {
    if (block == null || !block.retain()) return -1;
    try {
      counters.coalesced.increment();
      return copy(block.data, off, dst);
    } finally {
      block.release();
    }
  }

  /** Loads and caches {@code key} unless it is cached or loading (a background prefetch). */
  void prefetch(BlockKey key, BlockId id, BlockLoader loader) {
    if (index.containsKey(id)) return;
    CompletableFuture<Loaded> mine = new CompletableFuture<>();
    if (inflight.putIfAbsent(key, mine) != null) return;
    try {
      loadAndStore(key, id, 0, null, loader, mine);
    } catch (IOException | RuntimeException e) {
      log.debug("prefetch of {} failed: {}", key, e.toString());
    }
  }

  private int loadAndStore(
      BlockKey key,
      BlockId id,
      int off,
      ByteBuffer dst,
      BlockLoader loader,
      CompletableFuture<Loaded> mine)
      throws IOException {
    try {
      // someone may have committed the block between our lookup and taking the flight
      if (dst != null) {
        int n = reads.read(key, id, off, dst);
        if (n >= 0) {
          mine.complete(null);
          return n;
        }
      } else if (index.containsKey(id)) {
        mine.complete(null);
        return 0;
      }
      ByteBuffer into = takeBuffer();
      ByteBuffer block;
      try {
        block = into == null ? loader.load(key) : loader.load(key, into);
        if (block == null || block.remaining() > blockSize) {
          throw new IOException(
              "loader returned "
                  + (block == null ? "null" : block.remaining() + " bytes")
                  + " for block "
                  + key.index()
                  + " of "
                  + key.objectKey()
                  + "; at most "
                  + blockSize
                  + " expected");
        }
      } catch (IOException | RuntimeException e) {
        if (into != null) buffers.give(into);
        counters.loadErrors.increment();
        mine.completeExceptionally(e);
        throw e;
      }
      return publish(key, id, block, into, mine, off, dst);
    } finally {
      inflight.remove(key, mine);
      // abandoned before loading (e.g. interrupted): waiters retry on their own rather than fail
      if (!mine.isDone()) mine.complete(null);
    }
  }

  /**
   * Hands a freshly loaded block to the readers waiting on {@code mine}, copies from it into {@code
   * dst} (when given), caches it and leaves the flight.
   *
   * @param into the pooled buffer taken for the load, or null; given back unless it holds the block
   * @return bytes copied into dst
   */
  private int publish(
      BlockKey key,
      BlockId id,
      ByteBuffer block,
      ByteBuffer into,
      CompletableFuture<Loaded> mine,
      int off,
      ByteBuffer dst) {
    Loaded release = null;
    try {
      boolean pooled = into != null && block == into;
      if (into != null && !pooled) buffers.give(into);
      Loaded loaded = new Loaded(key, id, block.slice(), pooled ? into : null);
      counters.misses.increment();
      counters.bytesLoaded.add(loaded.data.remaining());
      mine.complete(loaded);
      boolean stored = false, readToEnd = false;
      try {
        int n = dst == null ? 0 : copy(loaded.data, off, dst);
        readToEnd = dst != null && off + n >= loaded.data.limit();
        stored = keeper.store(key, id, loaded.data);
        return n;
      } finally {
        // Kept hot for the next reader unless this one read it to the end. Otherwise the buffer is
        // reused once the readers holding it are done; one that joins too late to retain it reads
        // the file, or (not cached) loads again - rare, and never wrong bytes.
        if (stored && pooled && !readToEnd && !closed.getAsBoolean()) makeHot(loaded);
        else release = loaded;
      }
    } finally {
      inflight.remove(key, mine);
      if (release != null) release.release(); // after leaving inflight: no new joiners
    }
  }

  /**
   * Loads runs of consecutive blocks that are neither cached nor loading, each with one {@link
   * BlockLoader#loadRun}. Every block of a run is in flight from the start, so a reader of a later
   * block waits for the run instead of fetching it again; a block is shared and cached as soon as
   * it is complete. When the run fails, the blocks not loaded yet leave the flight with no result:
   * their waiters load them on their own (with the loader's retries), as after an abandoned load.
   */
  void loadRuns(List<BlockKey> keys, BlockLoader loader) {
    int i = 0;
    while (i < keys.size() && !closed.getAsBoolean()) {
      List<BlockKey> run = new ArrayList<>();
      List<CompletableFuture<Loaded>> flights = new ArrayList<>();
      for (; i < keys.size(); i++) {
        BlockKey k = keys.get(i);
        if (!run.isEmpty() && k.index() != run.get(run.size() - 1).index() + 1) break;
        BlockId id = BlockId.of(k, blockSize);
        CompletableFuture<Loaded> f = null;
        if (!index.containsKey(id)) {
          f = new CompletableFuture<>();
          if (inflight.putIfAbsent(k, f) != null) {
            f = null;
          } else if (index.containsKey(id)) { // committed between our two looks
            inflight.remove(k, f);
            f.complete(null);
            f = null;
          }
        }
        if (f == null) {
          if (run.isEmpty()) continue;
          break; // a gap ends the run; the next one starts after it
        }
        run.add(k);
        flights.add(f);
      }
      if (!run.isEmpty()) loadRun(run, flights, loader);
    }
  }

  private void loadRun(
      List<BlockKey> run, List<CompletableFuture<Loaded>> flights, BlockLoader loader) {
    var sink =
        new BlockLoader.Sink() {
          int next;

          /**
           * Buffers handed out for blocks not loaded yet: a loader may fill several at once (one
           * GET per block on parallel connections), in order of the run.
           */
          final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();

          @Override
          public synchronized ByteBuffer buffer(BlockKey key) {
            if (pending.size() + next >= run.size()) {
              throw new IllegalStateException(
                  "loader asked for more buffers than the run has blocks: " + key.index());
            }
            // only the first waits for one: a run holding buffers must not also wait for more
            ByteBuffer b = takeBuffer(pending.isEmpty());
            pending.addLast(b == null ? NONE : b);
            return b;
          }

          @Override
          public synchronized void loaded(BlockKey key, ByteBuffer block) {
            if (next >= run.size() || !run.get(next).equals(key)) {
              throw new IllegalStateException(
                  "loader returned block "
                      + key.index()
                      + " of "
                      + key.objectKey()
                      + " out of order");
            }
            if (block == null || block.remaining() > blockSize) {
              throw new IllegalStateException(
                  "loader returned "
                      + (block == null ? "null" : block.remaining() + " bytes")
                      + " for block "
                      + key.index()
                      + " of "
                      + key.objectKey()
                      + "; at most "
                      + blockSize
                      + " expected");
            }
            int j = next++;
            ByteBuffer into = pending.pollFirst();
            publish(
                key,
                BlockId.of(key, blockSize),
                block,
                into == NONE ? null : into,
                flights.get(j),
                0,
                null);
          }

          synchronized void giveBack() {
            for (ByteBuffer b : pending) if (b != NONE) buffers.give(b);
            pending.clear();
          }
        };
    try {
      loader.loadRun(run, sink);
    } catch (IOException | RuntimeException e) {
      counters.loadErrors.increment();
      log.debug(
          "prefetch of blocks {}..{} of {} stopped after {}: {}",
          run.get(0).index(),
          run.get(run.size() - 1).index(),
          run.get(0).objectKey(),
          sink.next,
          e.toString());
    } finally {
      sink.giveBack();
      for (int j = sink.next; j < run.size(); j++) {
        inflight.remove(run.get(j), flights.get(j));
        flights.get(j).complete(null);
      }
    }
  }

  /**
   * @return bytes copied from a block still in memory after its load, or -1
   */
  int readHot(BlockKey key, BlockId id, int off, ByteBuffer dst) {
    Loaded l = hot.get(id);
    if (l == null) return -1;
    Entry e = index.get(id);
    if (e == null) {
      // evicted or dropped meanwhile: the cache decides what is cached, hot only saves reading it
      // back
      unhot(l);
      return -1;
    }
    if (!l.key.equals(key) || !l.retain()) return -1;
    int n;
    try {
      n = copy(l.data, off, dst);
    } finally {
      l.release();
    }
    // its end was read: a sequential reader is done with it (others read the file)
    if (off + n >= l.data.limit()) unhot(l);
    reads.onHit(e);
    return n;
  }

  private void makeHot(Loaded l) {
    Loaded prev = hot.put(l.id, l);
    hotOrder.add(l);
    if (prev != null && prev != l) {
      hotOrder.remove(prev);
      prev.release();
    }
    // dropMatching scans hot after removing index entries: whichever of us runs second unhots it
    if (closed.getAsBoolean() || !index.containsKey(l.id)) unhot(l);
  }

  private void unhot(Loaded l) {
    if (hot.remove(l.id, l)) {
      hotOrder.remove(l);
      l.release();
    }
  }

  /** Lets go of the hot blocks whose id matches (they are being dropped, or the cache closes). */
  void unhotMatching(Predicate<BlockId> p) {
    for (Loaded l : hot.values()) {
      if (p.test(l.id)) unhot(l);
    }
  }

  /**
   * A pooled buffer, taking back the oldest hot blocks when none is free, else waiting a little for
   * a load in flight to finish (loads never wait for readers, so this cannot deadlock). Null when
   * still none: the loader allocates, unpooled. Waiting keeps many cold readers from filling the
   * heap with 4 MiB arrays.
   */
  private ByteBuffer takeBuffer() {
    return takeBuffer(true);
  }

  /** As {@link #takeBuffer()}; without {@code wait}, null at once when none can be had. */
  private ByteBuffer takeBuffer(boolean wait) {
    for (int i = 0; i < 8; i++) {
      ByteBuffer b = buffers.take();
      if (b != null) return b;
      Loaded victim = hotOrder.poll();
      if (victim == null) break;
      if (hot.remove(victim.id, victim)) victim.release();
    }
    return !wait || closed.getAsBoolean() ? null : buffers.await(BUFFER_WAIT_MILLIS);
  }

  private static int copy(ByteBuffer block, int off, ByteBuffer dst) {
    if (off >= block.limit()) return 0;
    int n = Math.min(dst.remaining(), block.limit() - off);
    dst.put(block.slice(off, n));
    return n;
  }

  /** Loads in flight (tests, invariants). */
  java.util.Set<BlockKey> inFlight() {
    return inflight.keySet();
  }

  /** Blocks held in memory after their load (tests). */
  int hotBlocks() {
    return hot.size();
  }
}
