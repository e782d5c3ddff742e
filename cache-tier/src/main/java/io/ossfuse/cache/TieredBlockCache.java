package io.ossfuse.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link BlockCache} over Fluid-style levels (MEM → SSD → HDD) of block files: the façade that
 * wires the parts below together and serves the {@link BlockCache} API. cache-tier's README shows
 * how a read flows through them.
 *
 * <ul>
 *   <li>{@link Levels}: the {@link Store}s of every level (directory, lock, quota, LRU order);
 *       {@link RestartScan} rebuilds the index from them at start.
 *   <li>{@code index}: id → the {@link Entry} (one block file) to read, the only per-block heap
 *       state.
 *   <li>{@link CachedReads}: reads a block file through {@link OpenFiles} (checked, shared open
 *       files).
 *   <li>{@link Flights}: single-flight loads, run prefetches and hot buffers of blocks just loaded.
 *   <li>{@link Placement}: writes, evictions, demotions, promotions and deletes; its javadoc states
 *       the ownership and reservation protocol that makes them safe without holding locks over I/O.
 *   <li>{@link WholeObjects}: whole-object files for FUSE passthrough, entries of the same stores.
 *   <li>{@link Versions}: the current ETags per object; the first block of a new one drops the
 *       others.
 *   <li>{@link Counters}: the cache-wide counters behind {@link #stats}.
 * </ul>
 *
 * <p>Errors: a local I/O error (ENOSPC, EIO, a vanished directory) is a miss or a fall-through to
 * the next store, level, or to returning the loaded bytes uncached; only the loader's own failure
 * reaches the caller.
 *
 * <p>About 580 lines (google-java-format puts each argument of the long calls on a line of its
 * own), over the usual 400: the public {@link Builder} and the package hooks that {@link
 * WholeObjects} and the tests use make up half of it; the logic is in the parts above.
 */
public final class TieredBlockCache implements BlockCache {
  private static final Logger log = LoggerFactory.getLogger(TieredBlockCache.class);
  static final String DIR_NAME = Levels.DIR_NAME;
  static final int CHUNK_SIZE = 64 * 1024;

  /**
   * Default cap on block files kept open for reading: 1024 blocks = 4 GiB of 4 MiB blocks. A random
   * reader over more blocks than the cap re-opens and re-checks files (was 128: a 1 GiB object read
   * at random cost an open, a header parse and a chunk check on most reads).
   */
  static final int MAX_OPEN_HANDLES = 1024;

  private final TieredStoreConfig config;
  private final int blockSize;
  private final int maxOpenHandles;
  private final Levels levels;

  /**
   * id → the Entry of the file to read. Only a lookup hint, updated by compare-and-set on Entry
   * identity ({@code replace(id, old, new)}, {@code remove(id, old)}): see {@link Placement}.
   */
  private final ConcurrentHashMap<BlockId, Entry> index = new ConcurrentHashMap<>();

  private final Versions versions = new Versions();
  private final Counters counters = new Counters();
  private final OpenFiles openFiles;

  /** Whole-object files (FUSE passthrough backing files), kept in the stores beside the blocks. */
  private final WholeObjects wholes = new WholeObjects(this);

  private final Placement placement;
  private final CachedReads reads;
  private final Flights flights;
  private final BufferPool buffers;
  private final ThreadPoolExecutor background;
  private volatile boolean closed;

  /** Options beyond Fluid's YAML. */
  public static final class Builder {
    private final TieredStoreConfig config;
    private int blockSize;
    private boolean promotion;
    private boolean fsync;
    private int backgroundThreads = 4;
    private int backgroundQueue = 64;
    private int maxOpenHandles = MAX_OPEN_HANDLES;
    private CacheScan prescan;
    private Store.TakeoverLock takeoverLock;

    private Builder(TieredStoreConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      this.blockSize = config.blockSize();
      this.promotion = config.promotion();
    }

    /**
     * Bytes per block (default from the config, 4 MiB). Blocks cached with another size are not
     * reused.
     */
    public Builder blockSize(int blockSize) {
      this.blockSize = blockSize;
      return this;
    }

    /** Whether a hit below the top level moves the block up (default from the config, true). */
    public Builder promotion(boolean promotion) {
      this.promotion = promotion;
      return this;
    }

    /** fsync block files before renaming them (SSD/HDD levels only; default false). */
    public Builder fsync(boolean fsync) {
      this.fsync = fsync;
      return this;
    }

    /**
     * Threads for prefetch and promotion (default 4, queue 64); their queue is bounded and drops
     * when full.
     */
    public Builder backgroundThreads(int threads, int queue) {
      if (threads < 1 || queue < 1) {
        throw new CacheConfigException(
            "cache background threads " + threads + " and queue " + queue + " must both be >= 1");
      }
      this.backgroundThreads = threads;
      this.backgroundQueue = queue;
      return this;
    }

    /**
     * Block files kept open between reads (default {@value TieredBlockCache#MAX_OPEN_HANDLES}), one
     * file descriptor each, capped at a quarter of the process's fd limit. A block read from a file
     * opened before skips the header parse and the checksum of chunks already checked; a block
     * beyond the cap is opened and checked again.
     */
    public Builder maxOpenHandles(int n) {
      if (n < 0) throw new CacheConfigException("cache max open handles " + n + " must be >= 0");
      this.maxOpenHandles = n;
      return this;
    }

    /**
     * Directory listings taken ahead ({@link CacheScan}), reused where a directory did not change.
     */
    public Builder prescanned(CacheScan scan) {
      this.prescan = scan;
      return this;
    }

    /**
     * For a takeover from a process that is exiting: a level it still holds locked is used at once,
     * its lock taken as soon as the kernel releases it; {@code stillLocked} runs (with one line
     * saying which) if that does not happen within {@code wait}. Default: a locked level is
     * refused.
     */
    public Builder takeoverLock(
        java.time.Duration wait, java.util.function.Consumer<String> stillLocked) {
      this.takeoverLock = new Store.TakeoverLock(wait.toMillis(), stillLocked);
      return this;
    }

    /**
     * Creates the level directories if needed, checks they are writable, rebuilds the index from
     * what they hold and evicts down to the watermarks.
     *
     * @throws CacheConfigException one line naming the level, path and fix
     */
    public TieredBlockCache build() {
      return new TieredBlockCache(
          config.withBlockSize(blockSize).withPromotion(promotion),
          fsync,
          backgroundThreads,
          backgroundQueue,
          maxOpenHandles,
          prescan,
          takeoverLock);
    }
  }

  public static Builder builder(TieredStoreConfig config) {
    return new Builder(config);
  }

  private TieredBlockCache(
      TieredStoreConfig config,
      boolean fsync,
      int threads,
      int queue,
      int maxOpenHandles,
      CacheScan prescan,
      Store.TakeoverLock takeoverLock) {
    this.config = config;
    this.blockSize = config.blockSize();
    this.maxOpenHandles = OpenFiles.withinFdLimit(maxOpenHandles);
    this.openFiles = new OpenFiles(this.maxOpenHandles);
    long t0 = System.nanoTime();
    long cpu0 = cpuNanos();
    this.levels = new Levels(config, takeoverLock, prescan);
    long t1 = System.nanoTime();
    this.placement =
        new Placement(
            levels,
            index,
            openFiles,
            wholes,
            counters,
            blockSize,
            Math.min(CHUNK_SIZE, blockSize),
            fsync,
            () -> closed);
    int adopted = RestartScan.rebuild(levels.stores, index, versions, prescan);
    long t2 = System.nanoTime();
    for (Store s : levels.all()) placement.reserve(s, 0); // evict down to the watermarks
    long t3 = System.nanoTime();
    log.info(
        "tiered cache: {} blocks found in {} ms, {} ms of CPU (levels {} ms, index {} ms{},"
            + " eviction {} ms); levels {}",
        adopted,
        TimeUnit.NANOSECONDS.toMillis(t3 - t0),
        TimeUnit.NANOSECONDS.toMillis(cpuNanos() - cpu0),
        TimeUnit.NANOSECONDS.toMillis(t1 - t0),
        TimeUnit.NANOSECONDS.toMillis(t2 - t1),
        prescan == null ? "" : " from an index built ahead",
        TimeUnit.NANOSECONDS.toMillis(t3 - t2),
        Levels.describe(config));
    this.background = backgroundPool(threads, queue);
    // loads in flight (prefetch threads, demand misses) plus loaded blocks waiting for their
    // reader;
    // beyond that, loads fall back to the loader's own heap buffers
    this.buffers = new BufferPool(blockSize, 2 * threads + 8);
    this.reads =
        new CachedReads(
            index,
            openFiles,
            placement,
            counters,
            blockSize,
            config.promotion(),
            this::runInBackground);
    this.flights =
        new Flights(blockSize, index, reads, this::keep, counters, buffers, () -> closed);
  }

  /** CPU time of this thread: beside the wall time, it tells work from waiting for a core. */
  private static long cpuNanos() {
    java.lang.management.ThreadMXBean t = java.lang.management.ManagementFactory.getThreadMXBean();
    return t.isCurrentThreadCpuTimeSupported() ? t.getCurrentThreadCpuTime() : 0;
  }

  private static ThreadPoolExecutor backgroundPool(int threads, int queue) {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(queue),
            r -> {
              Thread t = new Thread(r, "ossfuse-cache-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.AbortPolicy());
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  // ---------------------------------------------------------------- BlockCache

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public int read(BlockKey key, int offsetInBlock, ByteBuffer dst, BlockLoader loader)
      throws IOException {
    Objects.requireNonNull(dst, "dst");
    if (offsetInBlock < 0)
      throw new IllegalArgumentException("offsetInBlock must be >= 0, got " + offsetInBlock);
    BlockId id = BlockId.of(key, blockSize);
    while (true) {
      int n = flights.readHot(key, id, offsetInBlock, dst);
      if (n >= 0) return n;
      n = reads.read(key, id, offsetInBlock, dst);
      if (n >= 0) return n;
      n = wholes.read(key, offsetInBlock, dst);
      if (n >= 0) return n;
      // -1: the load it joined found the block cached, or its buffer went back to the pool after
      // the
      // block was cached. Either way it is read from the cache now.
      n = flights.joinOrLoad(key, id, offsetInBlock, dst, loader);
      if (n >= 0) return n;
    }
  }

  @Override
  public int readIfCached(BlockKey key, int offsetInBlock, ByteBuffer dst) throws IOException {
    Objects.requireNonNull(dst, "dst");
    if (offsetInBlock < 0)
      throw new IllegalArgumentException("offsetInBlock must be >= 0, got " + offsetInBlock);
    BlockId id = BlockId.of(key, blockSize);
    int n = flights.readHot(key, id, offsetInBlock, dst);
    if (n >= 0) return n;
    n = reads.read(key, id, offsetInBlock, dst);
    if (n >= 0) return n;
    // A block being loaded (another reader's readahead) is joined: fetching the same bytes again
    // beside the load would cost the origin twice. -1 from the join: committed meanwhile, or not.
    n = flights.joinIfLoading(key, offsetInBlock, dst);
    return n >= 0 ? n : reads.read(key, id, offsetInBlock, dst);
  }

  /**
   * Loads the blocks of {@code keys} (consecutive blocks of one object) that are neither cached nor
   * loading in the background, each run of them with one {@link BlockLoader#loadRun}. Never blocks
   * and never fails: when the background queue is full the request is dropped.
   */
  @Override
  public void prefetchRun(List<BlockKey> keys, BlockLoader loader) {
    if (closed || keys.isEmpty() || wholes.covers(keys.get(0))) return;
    boolean any = false;
    for (BlockKey k : keys) {
      if (!index.containsKey(BlockId.of(k, blockSize)) && !flights.loading(k)) {
        any = true;
        break;
      }
    }
    if (!any) return;
    List<BlockKey> copy = List.copyOf(keys);
    try {
      background.execute(() -> flights.loadRuns(copy, loader));
    } catch (RejectedExecutionException full) {
      log.trace(
          "prefetch queue full, dropping blocks {}..{}",
          copy.get(0).index(),
          copy.get(copy.size() - 1).index());
    }
  }

  /**
   * Starts loading block {@code key} in the background unless it is cached or already loading.
   * Never blocks and never fails: when the background queue is full the request is dropped.
   */
  @Override
  public void prefetch(BlockKey key, BlockLoader loader) {
    if (closed || wholes.covers(key)) return;
    BlockId id = BlockId.of(key, blockSize);
    if (index.containsKey(id) || flights.loading(key)) return;
    try {
      background.execute(() -> flights.prefetch(key, id, loader));
    } catch (RejectedExecutionException full) {
      log.trace("prefetch queue full, dropping {}", key);
    }
  }

  /**
   * Drops every cached block of every version of an object. @return the number of blocks dropped
   */
  @Override
  public int invalidate(String bucket, String objectKey) {
    long obj = BlockId.objectHash(bucket, objectKey);
    versions.forget(obj);
    return dropMatching(id -> id.object() == obj);
  }

  /**
   * Drops cached blocks of an object whose ETag is not {@code currentEtag}. @return blocks dropped
   */
  public int invalidateOtherVersions(String bucket, String objectKey, String currentEtag) {
    long obj = BlockId.objectHash(bucket, objectKey);
    long ver = BlockId.versionHash(currentEtag, blockSize);
    return dropMatching(id -> id.object() == obj && id.version() != ver);
  }

  @Override
  public Optional<WholeObject> whole(String bucket, String objectKey, String etag, long size) {
    if (closed) return Optional.empty();
    return wholes.whole(bucket, objectKey, etag, size);
  }

  @Override
  public CacheStats stats() {
    return counters.snapshot(config, levels.stores);
  }

  /** The effective configuration (block size and promotion as built). */
  public TieredStoreConfig config() {
    return config;
  }

  /**
   * Stops background work and releases the directory locks. Cached blocks stay on disk for the next
   * start.
   */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    background.shutdownNow();
    try {
      background.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    openFiles.closeAll();
    wholes.close();
    flights.unhotMatching(id -> true);
    levels.releaseLocks();
  }

  // ---------------------------------------------------------------- drops

  int dropMatching(Predicate<BlockId> p) {
    flights.unhotMatching(p);
    int n = 0;
    for (Map.Entry<BlockId, Entry> me : index.entrySet()) {
      if (p.test(me.getKey()) && index.remove(me.getKey(), me.getValue())) {
        placement.drop(me.getValue());
        n++;
      }
    }
    flights.unhotMatching(p); // made hot while we removed its index entry (see Flights.makeHot)
    return n;
  }

  /**
   * Drops exactly these blocks: a lookup each, where {@link #dropMatching} scans the whole index (a
   * whole file built per small object would make a cold pass over many files quadratic).
   */
  int dropExactly(Set<BlockId> ids) {
    flights.unhotMatching(ids::contains);
    int n = 0;
    for (BlockId id : ids) {
      Entry e = index.get(id);
      if (e != null && index.remove(id, e)) {
        placement.drop(e);
        n++;
      }
    }
    flights.unhotMatching(ids::contains); // as in dropMatching
    return n;
  }

  /**
   * Caches a loaded block and drops the object's other versions when it is the first of a new one.
   */
  private boolean keep(BlockKey key, BlockId id, ByteBuffer block) {
    if (!placement.store(key, id, block)) return false;
    // A whole file built from this very load (it joined it) holds these bytes already. Looked at
    // after the store: a file committed later drops this block itself, as it is indexed now.
    if (wholes.covers(key)) {
      dropExactly(Set.of(id));
      return false;
    }
    if (versions.firstOfNewVersion(id)) {
      long ver = id.version();
      int n = dropMatching(x -> x.object() == id.object() && x.version() != ver);
      if (n > 0) log.debug("dropped {} blocks of older versions of an object", n);
    }
    return true;
  }

  // ---------------------------------------------------------------- for WholeObjects

  Entry indexed(BlockId id) {
    return index.get(id);
  }

  boolean loading(BlockKey key) {
    return flights.loading(key);
  }

  void putIndexed(BlockId id, Entry e) {
    Entry prev = index.put(id, e);
    if (prev != null && prev != e) placement.drop(prev);
  }

  List<Store> storesOf(int level) {
    return levels.of(level);
  }

  boolean reserve(Store s, long size) {
    return placement.reserve(s, size);
  }

  /** Drops an entry found damaged or gone. */
  void dropEntry(Entry e) {
    if (index.remove(e.id, e)) placement.drop(e);
  }

  /**
   * @return false when the background queue is full or the cache closed
   */
  boolean runInBackground(Runnable r) {
    if (closed) return false;
    try {
      background.execute(r);
      return true;
    } catch (RejectedExecutionException full) {
      return false;
    }
  }

  // ---------------------------------------------------------------- test support

  /**
   * Checks the accounting against the disk; call only when no read, prefetch or promotion is
   * running.
   *
   * @throws AssertionError naming the first broken invariant
   */
  void checkInvariants() {
    Invariants.check(levels, index, flights, openFiles, maxOpenHandles);
  }

  /** Whole-object files built since start (tests, stats). */
  long wholeFilesBuilt() {
    return wholes.built.sum();
  }

  /** Bytes of whole files evicted but still held (tests). */
  long wholeBytesHeld() {
    return wholes.heldAfterEviction();
  }

  /** The LRU order of one store, eldest first (tests). */
  List<BlockId> lruOrder(int level, int path) {
    return levels.of(level).get(path).snapshot(true).lruOrder().stream().map(e -> e.id).toList();
  }

  /** Where a block currently is: its level, or -1 (tests). */
  int levelOf(BlockKey key) {
    Entry e = index.get(BlockId.of(key, blockSize));
    return e == null ? -1 : e.store.level;
  }

  /** The file holding a block, or null (tests). */
  Path fileOf(BlockKey key) {
    Entry e = index.get(BlockId.of(key, blockSize));
    return e == null ? null : e.path;
  }

  /** Blocks held in memory after their load (tests). */
  int hotBlocks() {
    return flights.hotBlocks();
  }

  /** Pooled block buffers that exist (tests). */
  int pooledBuffers() {
    return buffers.allocated();
  }

  /** Every store, top level first (tests). */
  List<Store> allStores() {
    return levels.all();
  }

  boolean isClosed() {
    return closed;
  }

  /** Waits until background promotions and prefetches are done (tests). */
  void awaitBackground() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((background.getActiveCount() > 0
            || !background.getQueue().isEmpty()
            || reads.promoting()
            || !flights.inFlight().isEmpty())
        && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
  }
}
