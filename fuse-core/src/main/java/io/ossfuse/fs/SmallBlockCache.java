package io.ossfuse.fs;

import io.ossfuse.cache.BlockCache;
import io.ossfuse.cache.BlockKey;
import io.ossfuse.cache.BlockLoader;
import io.ossfuse.cache.CacheStats;
import io.ossfuse.cache.Loads;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A small in-heap block cache used when no tiered store is configured: without it every 128 KiB
 * FUSE read would fetch a whole block. Concurrent misses of one block share one load.
 *
 * <p>Least recently used blocks leave first, but a block fetched ahead stays until it was read
 * (unless only such blocks are left): it was fetched because a reader is about to get there. Not
 * Caffeine for the same reason: its admission policy (W-TinyLFU) kept the blocks a sequential
 * reader had read four times (1 MiB FUSE reads) over its readahead, seen once, which was then
 * fetched again (1.3-1.5x the bytes of a cold 1 GiB read).
 */
final class SmallBlockCache implements BlockCache {
  private final int blockSize;
  private final long capacityBytes;
  private final ExecutorService loaders;

  /**
   * Parallel prefetches, as many as the default readahead window has blocks: one connection to OSS
   * gives ~100-200 MB/s, and with 4 a cold read under the bench's remote profile stayed near 4 x
   * its 150 MiB/s.
   */
  static final int PREFETCH_PARALLEL = 8;

  private final Semaphore prefetchPermits = new Semaphore(PREFETCH_PARALLEL);

  /** A loaded block, and whether a reader has had it yet (guarded by the cache). */
  private static final class Held {
    final ByteBuffer data;
    boolean read;

    Held(ByteBuffer data, boolean read) {
      this.data = data;
      this.read = read;
    }
  }

  /** Loaded blocks, least recently used first (guarded by this). */
  private final LinkedHashMap<BlockKey, Held> blocks = new LinkedHashMap<>(64, 0.75f, true);

  /** Bytes of {@code blocks} (guarded by this). */
  private long heldBytes;

  /**
   * Loads in flight. A load leaves only after its block is in {@code blocks} (or failed), so a
   * reader finds it in one or the other.
   */
  private final ConcurrentHashMap<BlockKey, CompletableFuture<ByteBuffer>> loading =
      new ConcurrentHashMap<>();

  /**
   * Reads served from a held block, reads that joined a load in flight, blocks loaded (by readers
   * and ahead of them), blocks evicted, bytes loaded, failed loads.
   */
  private final LongAdder hits = new LongAdder(),
      coalesced = new LongAdder(),
      loads = new LongAdder(),
      evictions = new LongAdder(),
      bytesLoaded = new LongAdder(),
      loadErrors = new LongAdder();

  SmallBlockCache(int blockSize, long capacityBytes) {
    this.blockSize = blockSize;
    this.capacityBytes = capacityBytes;
    AtomicInteger n = new AtomicInteger();
    this.loaders =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "ossfuse-block-load-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  /** A reader's look: moves the block to the young end. */
  private ByteBuffer cached(BlockKey key) {
    return cached(key, true);
  }

  /** A look, by a reader ({@code byReader}: it has had the block now) or ahead of one. */
  private synchronized ByteBuffer cached(BlockKey key, boolean byReader) {
    Held h = blocks.get(key);
    if (h == null) return null;
    if (byReader) h.read = true;
    return h.data;
  }

  /**
   * After a miss: the load of the block in flight, or a new one ({@code forRead}: by a reader, else
   * ahead of one).
   */
  private CompletableFuture<ByteBuffer> joinOrLoad(
      BlockKey key, BlockLoader loader, boolean forRead) {
    CompletableFuture<ByteBuffer> mine = new CompletableFuture<>();
    CompletableFuture<ByteBuffer> other = loading.putIfAbsent(key, mine);
    if (other != null) {
      if (forRead) coalesced.increment();
      return other;
    }
    ByteBuffer b = cached(key, forRead); // kept since the caller's miss
    if (b != null) {
      loading.remove(key, mine);
      mine.complete(b);
      return mine;
    }
    loads.increment();
    try {
      loaders.execute(() -> load(key, loader, mine, forRead));
    } catch (RejectedExecutionException e) {
      loading.remove(key, mine);
      mine.completeExceptionally(new IOException("the block cache is closed"));
    }
    return mine;
  }

  /** Settles the cache before the readers waiting on {@code mine} wake up. */
  private void load(
      BlockKey key, BlockLoader loader, CompletableFuture<ByteBuffer> mine, boolean forRead) {
    ByteBuffer b;
    try {
      b = loader.load(key).asReadOnlyBuffer();
    } catch (IOException | RuntimeException | Error e) {
      loading.remove(key, mine); // not kept: the next reader loads it again
      loadErrors.increment();
      mine.completeExceptionally(e);
      if (e instanceof Error err) throw err;
      return;
    }
    bytesLoaded.add(b.remaining());
    keep(key, b, mine, forRead);
    loading.remove(key, mine);
    mine.complete(b);
  }

  /** Keeps a loaded block unless its load was invalidated meanwhile; evicts down to capacity. */
  private synchronized void keep(
      BlockKey key, ByteBuffer b, CompletableFuture<ByteBuffer> load, boolean read) {
    if (loading.get(key) != load) return;
    Held prev = blocks.put(key, new Held(b, read));
    if (prev != null) heldBytes -= prev.data.capacity();
    heldBytes += b.capacity();
    evict(true);
    evict(false);
  }

  /** Evicts the oldest blocks ({@code readOnly}: of those read already) down to capacity. */
  private void evict(boolean readOnly) {
    Iterator<Held> oldest = blocks.values().iterator();
    while (heldBytes > capacityBytes && oldest.hasNext()) {
      Held h = oldest.next();
      if (readOnly && !h.read) continue;
      heldBytes -= h.data.capacity();
      oldest.remove();
      evictions.increment();
    }
  }

  /**
   * Starts a background load unless cached or loading; at most {@link #PREFETCH_PARALLEL} at a
   * time.
   */
  @Override
  public void prefetch(BlockKey key, BlockLoader loader) {
    if (holds(key) || loading.containsKey(key) || !prefetchPermits.tryAcquire()) return;
    try {
      joinOrLoad(key, loader, false).whenComplete((b, t) -> prefetchPermits.release());
    } catch (RuntimeException e) {
      prefetchPermits.release();
    }
  }

  @Override
  public int invalidate(String bucket, String objectKey) {
    int n = 0;
    synchronized (this) {
      Iterator<Map.Entry<BlockKey, Held>> it = blocks.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<BlockKey, Held> e = it.next();
        if (e.getKey().bucket().equals(bucket) && e.getKey().objectKey().equals(objectKey)) {
          heldBytes -= e.getValue().data.capacity();
          it.remove();
          n++;
        }
      }
      // loads in flight finish for the readers that joined them, but are not kept
      loading.keySet().removeIf(k -> k.bucket().equals(bucket) && k.objectKey().equals(objectKey));
    }
    return n;
  }

  @Override
  public int read(BlockKey key, int offsetInBlock, ByteBuffer dst, BlockLoader loader)
      throws IOException {
    ByteBuffer b = cached(key);
    if (b != null) hits.increment();
    else {
      b = Loads.await(joinOrLoad(key, loader, true));
      cached(key); // had by a reader now, also when it joined a load ahead of it
    }
    return copy(b, offsetInBlock, dst);
  }

  @Override
  public int readIfCached(BlockKey key, int offsetInBlock, ByteBuffer dst) throws IOException {
    ByteBuffer b = cached(key);
    if (b != null) {
      hits.increment();
      return copy(b, offsetInBlock, dst);
    }
    // a load in flight is joined: fetching its bytes again beside it would cost the origin twice
    CompletableFuture<ByteBuffer> f = loading.get(key);
    if (f == null) return -1;
    coalesced.increment();
    try {
      b = Loads.await(f);
      cached(key); // had by a reader now (when kept)
      return copy(b, offsetInBlock, dst);
    } catch (InterruptedIOException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      return -1; // the load failed: the reader fetches its own bytes (with its own retries)
    }
  }

  private static int copy(ByteBuffer block, int offsetInBlock, ByteBuffer dst) {
    if (offsetInBlock >= block.limit()) return 0;
    int n = Math.min(dst.remaining(), block.limit() - offsetInBlock);
    dst.put(block.duplicate().position(offsetInBlock).limit(offsetInBlock + n));
    return n;
  }

  /** Counters only: the blocks live in the heap, on no cache level. */
  @Override
  public CacheStats stats() {
    return new CacheStats(
        List.of(),
        hits.sum(),
        loads.sum(),
        coalesced.sum(),
        evictions.sum(),
        0,
        0,
        bytesLoaded.sum(),
        loadErrors.sum(),
        0,
        0);
  }

  /** Whether {@code key} is loaded and held (not an access: the order stays as it is). */
  synchronized boolean holds(BlockKey key) {
    return blocks.containsKey(key);
  }

  /** Whether a load of {@code key} is in flight (tests). */
  boolean loading(BlockKey key) {
    return loading.containsKey(key);
  }

  @Override
  public void close() {
    loaders.shutdownNow();
    synchronized (this) {
      blocks.clear();
      heldBytes = 0;
    }
  }
}
