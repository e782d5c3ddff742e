package io.ossfuse.fs;

import io.ossfuse.cache.BlockCache;
import io.ossfuse.cache.BlockKey;
import io.ossfuse.cache.BlockLoader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches the small files of a directory just listed into the block cache, in listing order, {@link
 * #PARALLEL} at a time (-o prefetch_small_files=N; off by default). A reader that goes through them
 * one by one ({@code cat dir/*}, a data loader) then finds each file cached, or its GET already
 * under way (the cache joins a read to a load in flight), instead of waiting one GET per file.
 * Without the option, a reader seen opening a listing's files in listing order gets the next {@link
 * #AHEAD} of them fetched the same way ({@link #opened}; on with readahead).
 *
 * <p>Bounded three ways: the first {@code limit} files of a listing of at most {@link
 * FsOptions#SMALL_FILE_BYTES} (and one block) each; no more bytes per listing than a quarter of
 * what the cache holds (so the prefetch does not evict what it fetched, or what readers use); and a
 * queue of {@link #QUEUE} files, beyond which listings add nothing. A failed fetch is only logged
 * at debug: the reader fetches the file itself and gets the error, if any.
 */
final class SmallFilePrefetch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SmallFilePrefetch.class);
  static final int PARALLEL = 8;

  /** Files fetched ahead of a reader that opens a listed directory's files in listing order. */
  static final int AHEAD = 2 * PARALLEL;

  static final int QUEUE = 20_000;

  /**
   * Fetches block {@code k} of the object {@code node} (the filesystem's loader for that version).
   */
  interface Loader {
    BlockLoader of(Node node);
  }

  private final BlockCache cache;
  private final String bucket;
  private final int limit;
  private final boolean ahead;
  private final long budgetBytes;
  private final Loader loader;
  private final ThreadPoolExecutor pool;

  /**
   * @param budgetBytes the most bytes one listing may prefetch (0: the cache keeps nothing; no
   *     prefetch)
   */
  SmallFilePrefetch(
      BlockCache cache, String bucket, int limit, boolean ahead, long budgetBytes, Loader loader) {
    this.cache = cache;
    this.bucket = bucket;
    this.limit = limit;
    this.ahead = ahead;
    this.budgetBytes = budgetBytes;
    this.loader = loader;
    AtomicInteger n = new AtomicInteger();
    this.pool =
        new ThreadPoolExecutor(
            PARALLEL,
            PARALLEL,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, "ossfuse-small-prefetch-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.DiscardPolicy());
    pool.allowCoreThreadTimeOut(true);
  }

  boolean enabled() {
    return limit > 0 && budgetBytes > 0;
  }

  /** Queues the eligible files among {@code children} of a complete listing; returns how many. */
  int listed(DirListing listing) {
    if (!enabled()) return 0;
    int queued = queue(listing, 0, listing.size(), limit);
    if (queued > 0) LOG.debug("prefetching {} small files", queued);
    return queued;
  }

  /**
   * A reader opened the child named {@code name} of {@code listing}: once it goes through the
   * listing in order, the next {@link #AHEAD} small files are fetched ahead of it (with or without
   * the listing prefetch; within the same byte budget). Returns how many were queued.
   */
  int opened(DirListing listing, String name) {
    if (!ahead || budgetBytes <= 0) return 0;
    int i = listing.indexOf(name);
    if (i < 0) return 0;
    long range = listing.opens.opened(i, AHEAD);
    if (range < 0) return 0;
    return queue(listing, (int) (range >>> 32), (int) range, AHEAD);
  }

  /**
   * Queues the small files among the children {@code [from, to)} of {@code listing}, at most {@code
   * most}, and tells its {@link OpenOrder} how far that got (a reader's fetch ahead starts past
   * it).
   */
  private int queue(DirListing listing, int from, int to, int most) {
    List<DirHandle.Child> children = listing.children;
    long max = Math.min(FsOptions.SMALL_FILE_BYTES, cache.blockSize());
    long bytes = 0;
    int queued = 0;
    int i = from;
    for (; i < Math.min(to, children.size()); i++) {
      Node n = children.get(i).node();
      if (n.isDir() || n.size() <= 0 || n.size() > max) continue;
      if (queued >= most || bytes + n.size() > budgetBytes) break;
      bytes += n.size();
      queued++;
      pool.execute(() -> fetch(n));
    }
    listing.opens.queuedTo(i - 1);
    return queued;
  }

  private void fetch(Node n) {
    BlockKey k = new BlockKey(bucket, n.key(), n.etag(), 0);
    ByteBuffer one = ByteBuffer.allocate(1);
    try {
      if (cache.readIfCached(k, 0, one) >= 0) return;
      cache.read(k, 0, one.clear(), loader.of(n));
    } catch (IOException | RuntimeException e) {
      LOG.debug("prefetch of {} failed: {}", n.key(), e.getMessage());
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
