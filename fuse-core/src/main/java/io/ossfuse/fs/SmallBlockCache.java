package io.ossfuse.fs;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ossfuse.cache.BlockCache;
import io.ossfuse.cache.BlockKey;
import io.ossfuse.cache.BlockLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small in-heap block cache used when no tiered store is configured: without it every 128 KiB
 * FUSE read would fetch a whole block. Concurrent misses of one block share one load.
 */
final class SmallBlockCache implements BlockCache {
  /**
   * Caffeine logs every failed asynchronous load with its stack trace (System.Logger, JUL by
   * default); a failed block load is already reported once, as EIO and one line by the filesystem
   * (e.g. an object changed while open). Held here: JUL keeps loggers only weakly.
   */
  private static final java.util.logging.Logger CAFFEINE_LOAD_LOG =
      quiet("com.github.benmanes.caffeine.cache.LocalAsyncCache");

  private static java.util.logging.Logger quiet(String name) {
    java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
    l.setLevel(java.util.logging.Level.OFF);
    return l;
  }

  private final int blockSize;
  private final AsyncCache<BlockKey, ByteBuffer> cache;
  private final ExecutorService loaders;

  /** Parallel prefetches: one GET stream through the SDK tops out well below a fast link. */
  static final int PREFETCH_PARALLEL = 4;

  private final java.util.concurrent.Semaphore prefetchPermits =
      new java.util.concurrent.Semaphore(PREFETCH_PARALLEL);

  SmallBlockCache(int blockSize, long capacityBytes) {
    this.blockSize = blockSize;
    AtomicInteger n = new AtomicInteger();
    this.loaders =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "ossfuse-block-load-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(capacityBytes)
            .weigher((BlockKey k, ByteBuffer b) -> b.capacity())
            .executor(Runnable::run)
            .buildAsync();
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  private CompletableFuture<ByteBuffer> get(BlockKey key, BlockLoader loader) {
    return cache.get(
        key,
        (k, ex) ->
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return loader.load(k).asReadOnlyBuffer();
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                },
                loaders));
  }

  /**
   * Starts a background load unless cached or loading; at most {@link #PREFETCH_PARALLEL} at a
   * time.
   */
  @Override
  public void prefetch(BlockKey key, BlockLoader loader) {
    if (cache.getIfPresent(key) != null || !prefetchPermits.tryAcquire()) return;
    try {
      get(key, loader).whenComplete((b, t) -> prefetchPermits.release());
    } catch (RuntimeException e) {
      prefetchPermits.release();
    }
  }

  @Override
  public int invalidate(String bucket, String objectKey) {
    int[] n = {0};
    cache
        .asMap()
        .keySet()
        .removeIf(
            k -> {
              boolean match = k.bucket().equals(bucket) && k.objectKey().equals(objectKey);
              if (match) n[0]++;
              return match;
            });
    return n[0];
  }

  @Override
  public int read(BlockKey key, int offsetInBlock, ByteBuffer dst, BlockLoader loader)
      throws IOException {
    CompletableFuture<ByteBuffer> f = get(key, loader);
    ByteBuffer block;
    try {
      block = f.join();
    } catch (CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof UncheckedIOException u) throw u.getCause();
      if (c instanceof RuntimeException r) throw r;
      throw new IOException(c);
    }
    return copy(block, offsetInBlock, dst);
  }

  @Override
  public int readIfCached(BlockKey key, int offsetInBlock, ByteBuffer dst) {
    CompletableFuture<ByteBuffer> f = cache.getIfPresent(key);
    if (f == null) return -1;
    // a load in flight is joined: fetching its bytes again beside it would cost the origin twice
    try {
      return copy(f.join(), offsetInBlock, dst);
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      return -1; // the load failed: the reader fetches its own bytes (with its own retries)
    }
  }

  private static int copy(ByteBuffer block, int offsetInBlock, ByteBuffer dst) {
    if (offsetInBlock >= block.limit()) return 0;
    int n = Math.min(dst.remaining(), block.limit() - offsetInBlock);
    dst.put(block.duplicate().position(offsetInBlock).limit(offsetInBlock + n));
    return n;
  }

  @Override
  public void close() {
    cache.synchronous().invalidateAll();
    loaders.shutdownNow();
  }
}
