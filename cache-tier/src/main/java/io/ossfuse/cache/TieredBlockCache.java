package io.ossfuse.cache;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link BlockCache} over Fluid-style levels (MEM → SSD → HDD) of block files.
 *
 * <h2>Design</h2>
 * Each level path is a {@link Store}: a directory of block files ({@code <hash>/<object>-<etag>-<index>.blk},
 * a {@link BlockHeader} then the data), its byte accounting and its LRU order. The only heap state is one
 * small {@link Entry} per block, in a global {@code index} (id → the file to read) and in its store's LRU.
 *
 * <p><b>Ownership, not locks, makes it correct.</b> Every block file is owned by exactly one party: the
 * writer that created it (from its temp name until {@link Store#commit}), its store's LRU (committed), or
 * a thread that {@link Store#claim claimed} it from the LRU (to evict, demote, promote or drop it). Claiming
 * is a remove under the store lock, so exactly one thread moves or deletes a given file, and it alone
 * fixes the accounting ({@link Store#release}) after the file is gone. The index is only a lookup hint
 * updated by compare-and-set on Entry identity ({@code replace(id, old, new)}, {@code remove(id, old)}): a
 * mover whose CAS fails lost a race (the block was dropped or re-written meanwhile) and deletes its copy.
 * A reader may hold an Entry whose file is being moved: an open fd keeps reading the old inode (files are
 * immutable once renamed), and a file already gone is a retry or a miss. Every file is checked (header
 * key, length, per-chunk CRC32C) before its bytes are reported, so a torn or stale file is a miss; because
 * files are immutable, a shared open file ({@link OpenFiles}) keeps its parsed header and checks each
 * chunk once, not on every read.
 *
 * <p><b>Space is reserved before a byte is written.</b> {@link Store#tryReserve} runs under the store lock:
 * it admits {@code size} only if {@code used + reserved + size <= quota}, where {@code used} keeps counting
 * a victim's bytes until its file is deleted. So the bytes on disk never exceed the quota, even with many
 * writers and evictions in flight. Eviction victims are chosen in the same critical section (LRU order,
 * until usage not yet being freed is at or under quota*low) and then moved or deleted by the reserving
 * thread outside the lock; I/O never happens under a lock, and locks are never nested, so there is no
 * lock-order deadlock. Nobody waits for space either: a reservation that does not fit now (the room is
 * held by other threads' writes or evictions) moves on to the next store or level, or leaves the block
 * uncached. Demotion reserves in a lower level (which may evict further down); a failure there deletes
 * the victim. Readers that hold a shared open file ({@link OpenFiles}) are never blocked by a delete:
 * the deleter marks the entry and takes its file out of the cache; it closes when the reads using it are done.
 *
 * <p><b>Errors.</b> A local I/O error (ENOSPC, EIO, a vanished directory) is a miss or a fall-through to
 * the next store, level, or to returning the loaded bytes uncached. ENOSPC also lowers that store's quota
 * to its usage so eviction makes room from then on. Only the loader's own failure reaches the caller.
 *
 * <p><b>Single-flight.</b> Misses of one key share one loader call through {@code inflight}; the entry is
 * removed only after the block is committed (or not), so a read arriving meanwhile either joins the load
 * or finds the block.
 *
 * <p><b>Restart.</b> The index is rebuilt from file names and sizes alone (no file is opened); headers are
 * checked on first read. Files are adopted oldest-mtime first, approximating the LRU order (hits refresh
 * the mtime at most every {@value #TOUCH_INTERVAL_SECONDS} s). Temp files are deleted. A directory is
 * locked ({@code .lock}) so two processes cannot share it.
 *
 * <p>Over 400 lines because placement, eviction, single-flight loads and hot buffers still share
 * its index and lock here; issue 11 splits them into Store, Flights and Placement behind this facade.
 */
public final class TieredBlockCache implements BlockCache {
    private static final Logger log = LoggerFactory.getLogger(TieredBlockCache.class);
    static final String DIR_NAME = Levels.DIR_NAME;
    static final int CHUNK_SIZE = 64 * 1024;
    static final int TOUCH_INTERVAL_SECONDS = 10;
    /**
     * Default cap on block files kept open for reading: 1024 blocks = 4 GiB of 4 MiB blocks. A random
     * reader over more blocks than the cap re-opens and re-checks files (was 128: a 1 GiB object read at
     * random cost an open, a header parse and a chunk check on most reads).
     */
    static final int MAX_OPEN_HANDLES = 1024;
    static final long BUFFER_WAIT_MILLIS = 2000;

    private final TieredStoreConfig config;
    private final int blockSize;
    private final int chunkSize;
    private final boolean promotion;
    private final boolean fsync;
    private final int maxOpenHandles;
    /** stores.get(level) = the stores of that level. */
    private final List<List<Store>> stores;
    private final Levels levels;
    private final Placement placement;
    private final ConcurrentHashMap<BlockId, Entry> index = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<BlockKey, CompletableFuture<Loaded>> inflight = new ConcurrentHashMap<>();
    private final Set<BlockId> promoting = ConcurrentHashMap.newKeySet();
    /** Block files open for reading, shared by readers. */
    private final OpenFiles openFiles;
    /** Per object hash: the newest ETag hash seen and the one before it (see {@link #dropOlderVersions}). */
    private final ConcurrentHashMap<Long, long[]> versions = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor background;
    private final BufferPool buffers;
    /**
     * Blocks just loaded, still in their pooled buffer: the reader that readahead loaded them for copies
     * them from memory instead of reading the file back and checking its CRCs. Oldest first in
     * {@code hotOrder}; a buffer is taken back when the pool runs dry or its end was read.
     */
    private final ConcurrentHashMap<BlockId, Loaded> hot = new ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentLinkedQueue<Loaded> hotOrder = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Whole-object files (FUSE passthrough backing files), kept in the stores beside the blocks. */
    private final WholeObjects wholes = new WholeObjects(this);
    private final Counters counters = new Counters();
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

        private Builder(TieredStoreConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            this.blockSize = config.blockSize();
            this.promotion = config.promotion();
        }

        /** Bytes per block (default from the config, 4 MiB). Blocks cached with another size are not reused. */
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

        /** Threads for prefetch and promotion (default 4, queue 64); their queue is bounded and drops when full. */
        public Builder backgroundThreads(int threads, int queue) {
            if (threads < 1 || queue < 1) {
                throw new CacheConfigException("cache background threads " + threads + " and queue " + queue
                        + " must both be >= 1");
            }
            this.backgroundThreads = threads;
            this.backgroundQueue = queue;
            return this;
        }

        /**
         * Block files kept open between reads (default {@value TieredBlockCache#MAX_OPEN_HANDLES}), one file
         * descriptor each, capped at a quarter of the process's fd limit. A block read from a file opened
         * before skips the header parse and the checksum of chunks already checked; a block beyond the cap
         * is opened and checked again.
         */
        public Builder maxOpenHandles(int n) {
            if (n < 0) throw new CacheConfigException("cache max open handles " + n + " must be >= 0");
            this.maxOpenHandles = n;
            return this;
        }

        /**
         * Creates the level directories if needed, checks they are writable, rebuilds the index from what
         * they hold and evicts down to the watermarks.
         *
         * @throws CacheConfigException one line naming the level, path and fix
         */
        public TieredBlockCache build() {
            return new TieredBlockCache(config.withBlockSize(blockSize).withPromotion(promotion), fsync,
                    backgroundThreads, backgroundQueue, maxOpenHandles);
        }
    }

    public static Builder builder(TieredStoreConfig config) {
        return new Builder(config);
    }

    private TieredBlockCache(TieredStoreConfig config, boolean fsync, int threads, int queue, int maxOpenHandles) {
        this.config = config;
        this.maxOpenHandles = withinFdLimit(maxOpenHandles);
        this.openFiles = new OpenFiles(this.maxOpenHandles);
        this.blockSize = config.blockSize();
        this.chunkSize = Math.min(CHUNK_SIZE, blockSize);
        this.promotion = config.promotion();
        this.fsync = fsync;
        this.levels = new Levels(config);
        this.stores = levels.stores;
        this.placement = new Placement(levels, index, openFiles, wholes, counters, blockSize, chunkSize, fsync,
                () -> closed);
        long t0 = System.nanoTime();
        int adopted = RestartScan.rebuild(stores, index, versions);
        for (List<Store> ss : stores) for (Store s : ss) reserve(s, 0); // evict down to the watermarks
        log.info("tiered cache: {} blocks found in {} ms; levels {}", adopted,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), Levels.describe(config));
        AtomicInteger n = new AtomicInteger();
        this.background = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queue), r -> {
            Thread t = new Thread(r, "ossfuse-cache-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.AbortPolicy());
        background.allowCoreThreadTimeOut(true);
        // loads in flight (prefetch threads, demand misses) plus loaded blocks waiting for their reader;
        // beyond that, loads fall back to the loader's own heap buffers
        this.buffers = new BufferPool(blockSize, 2 * threads + 8);
    }

    /**
     * At most a quarter of the process's file descriptor limit: an open failing with EMFILE would read as a
     * local I/O error and drop a sound block.
     */
    private static int withinFdLimit(int wanted) {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            long cap = Math.max(16, os.getMaxFileDescriptorCount() / 4);
            if (wanted > cap) {
                log.info("tiered cache: {} block files kept open at most (a quarter of the fd limit {}), not {}",
                        cap, os.getMaxFileDescriptorCount(), wanted);
                return (int) cap;
            }
        }
        return wanted;
    }

    // ---------------------------------------------------------------- reads

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public int read(BlockKey key, int offsetInBlock, ByteBuffer dst, BlockLoader loader) throws IOException {
        Objects.requireNonNull(dst, "dst");
        if (offsetInBlock < 0) throw new IllegalArgumentException("offsetInBlock must be >= 0, got " + offsetInBlock);
        BlockId id = BlockId.of(key, blockSize);
        while (true) {
            int n = readHot(key, id, offsetInBlock, dst);
            if (n >= 0) return n;
            n = readCached(key, id, offsetInBlock, dst);
            if (n >= 0) return n;
            n = wholes.read(key, offsetInBlock, dst);
            if (n >= 0) return n;
            CompletableFuture<Loaded> mine = new CompletableFuture<>();
            CompletableFuture<Loaded> other = inflight.putIfAbsent(key, mine);
            if (other != null) {
                Loaded block = await(other);
                // null: the other reader found it cached; not retained: its buffer went back to the pool
                // after the block was cached. Either way it is read from the cache now.
                if (block == null || !block.retain()) continue;
                try {
                    counters.coalesced.increment();
                    return copy(block.data, offsetInBlock, dst);
                } finally {
                    block.release();
                }
            }
            return loadAndStore(key, id, offsetInBlock, dst, loader, mine);
        }
    }

    @Override
    public int readIfCached(BlockKey key, int offsetInBlock, ByteBuffer dst) throws IOException {
        Objects.requireNonNull(dst, "dst");
        if (offsetInBlock < 0) throw new IllegalArgumentException("offsetInBlock must be >= 0, got " + offsetInBlock);
        BlockId id = BlockId.of(key, blockSize);
        int n = readHot(key, id, offsetInBlock, dst);
        return n >= 0 ? n : readCached(key, id, offsetInBlock, dst);
    }

    /**
     * Loads the blocks of {@code keys} (consecutive blocks of one object) that are neither cached nor loading
     * in the background, each run of them with one {@link BlockLoader#loadRun}. Never blocks and never fails:
     * when the background queue is full the request is dropped.
     */
    @Override
    public void prefetchRun(List<BlockKey> keys, BlockLoader loader) {
        if (closed || keys.isEmpty() || wholes.covers(keys.get(0))) return;
        boolean any = false;
        for (BlockKey k : keys) {
            if (!index.containsKey(BlockId.of(k, blockSize)) && !inflight.containsKey(k)) {
                any = true;
                break;
            }
        }
        if (!any) return;
        List<BlockKey> copy = List.copyOf(keys);
        try {
            background.execute(() -> loadRuns(copy, loader));
        } catch (RejectedExecutionException full) {
            log.trace("prefetch queue full, dropping blocks {}..{}", copy.get(0).index(), copy.get(copy.size() - 1).index());
        }
    }

    /**
     * Starts loading block {@code key} in the background unless it is cached or already loading. Never
     * blocks and never fails: when the background queue is full the request is dropped.
     */
    @Override
    public void prefetch(BlockKey key, BlockLoader loader) {
        if (closed || wholes.covers(key)) return;
        BlockId id = BlockId.of(key, blockSize);
        if (index.containsKey(id) || inflight.containsKey(key)) return;
        try {
            background.execute(() -> {
                if (index.containsKey(id)) return;
                CompletableFuture<Loaded> mine = new CompletableFuture<>();
                if (inflight.putIfAbsent(key, mine) != null) return;
                try {
                    loadAndStore(key, id, 0, null, loader, mine);
                } catch (IOException | RuntimeException e) {
                    log.debug("prefetch of {} failed: {}", key, e.toString());
                }
            });
        } catch (RejectedExecutionException full) {
            log.trace("prefetch queue full, dropping {}", key);
        }
    }

    /** Drops every cached block of every version of an object. @return the number of blocks dropped */
    @Override
    public int invalidate(String bucket, String objectKey) {
        long obj = BlockId.objectHash(bucket, objectKey);
        versions.remove(obj);
        return dropMatching(id -> id.object() == obj);
    }

    /** Drops cached blocks of an object whose ETag is not {@code currentEtag}. @return blocks dropped */
    public int invalidateOtherVersions(String bucket, String objectKey, String currentEtag) {
        long obj = BlockId.objectHash(bucket, objectKey);
        long ver = BlockId.versionHash(currentEtag, blockSize);
        return dropMatching(id -> id.object() == obj && id.version() != ver);
    }

    int dropMatching(java.util.function.Predicate<BlockId> p) {
        for (Loaded l : hot.values()) {
            if (p.test(l.id)) unhot(l);
        }
        int n = 0;
        for (Map.Entry<BlockId, Entry> me : index.entrySet()) {
            if (p.test(me.getKey()) && index.remove(me.getKey(), me.getValue())) {
                placement.drop(me.getValue());
                n++;
            }
        }
        for (Loaded l : hot.values()) {
            if (p.test(l.id)) unhot(l); // made hot while we removed its index entry (see makeHot)
        }
        return n;
    }

    /**
     * @return bytes copied, or -1 on a miss
     * @throws InterruptedIOException only when the calling thread was interrupted (the block stays cached)
     */
    private int readCached(BlockKey key, BlockId id, int off, ByteBuffer dst) throws InterruptedIOException {
        Entry seen = null;
        boolean ownFile = false;
        for (int attempt = 0; attempt < 4; attempt++) {
            Entry e = index.get(id);
            if (e == null) return -1;
            OpenFiles.OpenFile f = null;
            try {
                f = ownFile ? null : openFiles.acquire(e);
                if (f == null) f = openFiles.open(e, key, blockSize, !ownFile);
                FileChannel ch = f.channel;
                // a different key only on a BlockId hash collision: its header check then fails
                BlockHeader h = f.key.equals(key) ? f.header : BlockHeader.read(ch, key, blockSize);
                int n = off >= h.dataLen ? 0 : Math.min(dst.remaining(), h.dataLen - off);
                int pos = dst.position();
                ByteBuffer view = dst.duplicate().limit(pos + n);
                BlockHeader.readFully(ch, view, (long) h.headerLen + off);
                h.verify(ch, dst.duplicate().limit(pos + n), off, n);
                dst.position(pos + n);
                onHit(e);
                return n;
            } catch (NoSuchFileException gone) {
                // moved (demoted/promoted) under us: the index points at the new place; or really gone
                if (e == seen) {
                    if (index.remove(id, e)) placement.drop(e);
                    return -1;
                }
                seen = e;
            } catch (java.nio.channels.ClosedByInterruptException interrupted) {
                throw new InterruptedIOException("interrupted reading a cached block");
            } catch (java.nio.channels.ClosedChannelException closedUnderUs) {
                // a shared file closed by another reader's interrupt (an interrupted read closes its channel);
                // the retry opens the file for this read alone, so that never turns a hit into a load
                if (Thread.currentThread().isInterrupted()) throw new InterruptedIOException("interrupted reading a cached block");
                if (f != null) openFiles.forget(e, f);
                ownFile = true;
            } catch (CorruptBlockException | java.io.EOFException bad) {
                counters.corruptBlocks.increment();
                log.warn("cache block {} of {} is damaged ({}); dropping it and fetching again", e, key, bad.getMessage());
                if (index.remove(id, e)) placement.drop(e);
                return -1;
            } catch (IOException io) {
                counters.ioErrors.increment();
                if (e.store.shouldWarn()) {
                    log.warn("cache block {} cannot be read ({}); reading from the origin (further errors for 10 s at DEBUG)", e, io.toString());
                } else {
                    log.debug("cache block {} cannot be read ({})", e, io.toString());
                }
                if (index.remove(id, e)) placement.drop(e);
                return -1;
            } finally {
                if (f != null) f.release();
            }
        }
        return -1;
    }

    private void onHit(Entry e) {
        e.store.hits.increment();
        e.store.touch(e);
        long now = System.nanoTime();
        if (now - e.touchedNanos > TimeUnit.SECONDS.toNanos(TOUCH_INTERVAL_SECONDS)) {
            e.touchedNanos = now;
            try {
                Files.setLastModifiedTime(e.path, FileTime.fromMillis(System.currentTimeMillis()));
            } catch (IOException ignored) {
                // only the restart LRU order suffers
            }
        }
        if (promotion && e.store.level > 0 && !closed && promoting.add(e.id)) {
            try {
                background.execute(() -> {
                    try {
                        placement.promote(e);
                    } finally {
                        promoting.remove(e.id);
                    }
                });
            } catch (RejectedExecutionException full) {
                promoting.remove(e.id);
            }
        }
    }

    private int loadAndStore(BlockKey key, BlockId id, int off, ByteBuffer dst, BlockLoader loader,
                             CompletableFuture<Loaded> mine) throws IOException {
        try {
            // someone may have committed the block between our lookup and taking the flight
            if (dst != null) {
                int n = readCached(key, id, off, dst);
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
                    throw new IOException("loader returned " + (block == null ? "null" : block.remaining() + " bytes")
                            + " for block " + key.index() + " of " + key.objectKey() + "; at most " + blockSize + " expected");
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
     * Hands a freshly loaded block to the readers waiting on {@code mine}, copies from it into {@code dst}
     * (when given), caches it and leaves the flight.
     *
     * @param into the pooled buffer taken for the load, or null; given back unless it holds the block
     * @return bytes copied into dst
     */
    private int publish(BlockKey key, BlockId id, ByteBuffer block, ByteBuffer into, CompletableFuture<Loaded> mine,
                        int off, ByteBuffer dst) {
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
                stored = keep(key, id, loaded.data);
                return n;
            } finally {
                // Kept hot for the next reader unless this one read it to the end. Otherwise the buffer is
                // reused once the readers holding it are done; one that joins too late to retain it reads
                // the file, or (not cached) loads again - rare, and never wrong bytes.
                if (stored && pooled && !readToEnd && !closed) makeHot(loaded);
                else release = loaded;
            }
        } finally {
            inflight.remove(key, mine);
            if (release != null) release.release(); // after leaving inflight: no new joiners
        }
    }

    /**
     * Loads runs of consecutive blocks that are neither cached nor loading, each with one
     * {@link BlockLoader#loadRun}. Every block of a run is in flight from the start, so a reader of a
     * later block waits for the run instead of fetching it again; a block is shared and cached as soon
     * as it is complete. When the run fails, the blocks not loaded yet leave the flight with no result:
     * their waiters load them on their own (with the loader's retries), as after an abandoned load.
     */
    private void loadRuns(List<BlockKey> keys, BlockLoader loader) {
        int i = 0;
        while (i < keys.size() && !closed) {
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

    private void loadRun(List<BlockKey> run, List<CompletableFuture<Loaded>> flights, BlockLoader loader) {
        var sink = new BlockLoader.Sink() {
            int next;
            ByteBuffer pending;

            @Override
            public ByteBuffer buffer(BlockKey key) {
                if (pending == null) pending = takeBuffer();
                return pending;
            }

            @Override
            public void loaded(BlockKey key, ByteBuffer block) {
                if (next >= run.size() || !run.get(next).equals(key)) {
                    throw new IllegalStateException("loader returned block " + key.index() + " of " + key.objectKey()
                            + " out of order");
                }
                if (block == null || block.remaining() > blockSize) {
                    throw new IllegalStateException("loader returned " + (block == null ? "null" : block.remaining() + " bytes")
                            + " for block " + key.index() + " of " + key.objectKey() + "; at most " + blockSize + " expected");
                }
                int j = next++;
                ByteBuffer into = pending;
                pending = null;
                publish(key, BlockId.of(key, blockSize), block, into, flights.get(j), 0, null);
            }
        };
        try {
            loader.loadRun(run, sink);
        } catch (IOException | RuntimeException e) {
            counters.loadErrors.increment();
            log.debug("prefetch of blocks {}..{} of {} stopped after {}: {}", run.get(0).index(),
                    run.get(run.size() - 1).index(), run.get(0).objectKey(), sink.next, e.toString());
        } finally {
            if (sink.pending != null) buffers.give(sink.pending);
            for (int j = sink.next; j < run.size(); j++) {
                inflight.remove(run.get(j), flights.get(j));
                flights.get(j).complete(null);
            }
        }
    }

    /** @return bytes copied from a block still in memory after its load, or -1 */
    private int readHot(BlockKey key, BlockId id, int off, ByteBuffer dst) {
        Loaded l = hot.get(id);
        if (l == null) return -1;
        Entry e = index.get(id);
        if (e == null) {
            // evicted or dropped meanwhile: the cache decides what is cached, hot only saves reading it back
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
        onHit(e);
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
        if (closed || !index.containsKey(l.id)) unhot(l);
    }

    private void unhot(Loaded l) {
        if (hot.remove(l.id, l)) {
            hotOrder.remove(l);
            l.release();
        }
    }

    /**
     * A pooled buffer, taking back the oldest hot blocks when none is free, else waiting a little for a
     * load in flight to finish (loads never wait for readers, so this cannot deadlock). Null when still
     * none: the loader allocates, unpooled. Waiting keeps many cold readers from filling the heap with
     * 4 MiB arrays.
     */
    private ByteBuffer takeBuffer() {
        for (int i = 0; i < 8; i++) {
            ByteBuffer b = buffers.take();
            if (b != null) return b;
            Loaded victim = hotOrder.poll();
            if (victim == null) break;
            if (hot.remove(victim.id, victim)) victim.release();
        }
        return closed ? null : buffers.await(BUFFER_WAIT_MILLIS);
    }

    private static Loaded await(CompletableFuture<Loaded> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for a block load");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw new IOException(c);
        }
    }

    private static int copy(ByteBuffer block, int off, ByteBuffer dst) {
        if (off >= block.limit()) return 0;
        int n = Math.min(dst.remaining(), block.limit() - off);
        dst.put(block.slice(off, n));
        return n;
    }

    // ---------------------------------------------------------------- writes and moves

    /**
     * A freshly loaded block shared with the readers that joined its load. A pooled buffer goes back to
     * the pool when the loader and every reader that {@link #retain retained} it are done.
     */
    private final class Loaded {
        final BlockKey key;
        final BlockId id;
        final ByteBuffer data;
        private final ByteBuffer pooled;
        private final AtomicInteger refs = new AtomicInteger(1);

        Loaded(BlockKey key, BlockId id, ByteBuffer data, ByteBuffer pooled) {
            this.key = key;
            this.id = id;
            this.data = data;
            this.pooled = pooled;
        }

        /** @return false when the buffer was already given back (the block is cached by then) */
        boolean retain() {
            while (true) {
                int r = refs.get();
                if (r == 0) return false;
                if (refs.compareAndSet(r, r + 1)) return true;
            }
        }

        void release() {
            if (refs.decrementAndGet() == 0 && pooled != null) buffers.give(pooled);
        }
    }

    /**
     * The first time a block of a new ETag of an object is cached, blocks of its other ETags are dropped
     * (they can never be served again, only waste space). A late block of the ETag just replaced (a reader
     * still on the old version) drops nothing, so two versions read at once do not evict each other.
     */
    private void dropOlderVersions(BlockId id) {
        long ver = id.version();
        boolean[] isNew = new boolean[1];
        versions.compute(id.object(), (obj, v) -> {
            if (v == null) return new long[]{ver, ver};
            if (v[0] == ver || v[1] == ver) return v;
            isNew[0] = true;
            return new long[]{ver, v[0]};
        });
        if (isNew[0]) {
            int n = dropMatching(x -> x.object() == id.object() && x.version() != ver);
            if (n > 0) log.debug("dropped {} blocks of older versions of an object", n);
        }
    }

    /** Caches a loaded block and drops the object's other versions when it is the first of a new one. */
    private boolean keep(BlockKey key, BlockId id, ByteBuffer block) {
        if (!placement.store(key, id, block)) return false;
        dropOlderVersions(id);
        return true;
    }

    boolean reserve(Store s, long size) {
        return placement.reserve(s, size);
    }

    // ---------------------------------------------------------------- whole-object files (WholeObjects)

    @Override
    public java.util.Optional<WholeObject> whole(String bucket, String objectKey, String etag, long size) {
        if (closed) return java.util.Optional.empty();
        return wholes.whole(bucket, objectKey, etag, size);
    }

    Entry indexed(BlockId id) {
        return index.get(id);
    }

    void putIndexed(BlockId id, Entry e) {
        Entry prev = index.put(id, e);
        if (prev != null && prev != e) placement.drop(prev);
    }

    List<Store> storesOf(int level) {
        return stores.get(level);
    }

    /** Drops an entry found damaged or gone. */
    void dropEntry(Entry e) {
        if (index.remove(e.id, e)) placement.drop(e);
    }

    /** @return false when the background queue is full or the cache closed */
    boolean runInBackground(Runnable r) {
        if (closed) return false;
        try {
            background.execute(r);
            return true;
        } catch (RejectedExecutionException full) {
            return false;
        }
    }

    /** Whole-object files built since start (tests, stats). */
    long wholeFilesBuilt() {
        return wholes.built.sum();
    }

    /** Bytes of whole files evicted but still held (tests). */
    long wholeBytesHeld() {
        return wholes.heldAfterEviction();
    }

    // ---------------------------------------------------------------- stats, close

    @Override
    public CacheStats stats() {
        return counters.snapshot(config, stores);
    }

    /** The effective configuration (block size and promotion as built). */
    public TieredStoreConfig config() {
        return config;
    }

    /** Stops background work and releases the directory locks. Cached blocks stay on disk for the next start. */
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
        for (Loaded l : hot.values()) unhot(l);
        levels.releaseLocks();
    }

    // ---------------------------------------------------------------- test support

    /**
     * Checks the accounting against the disk; call only when no read, prefetch or promotion is running.
     *
     * @throws AssertionError naming the first broken invariant
     */
    void checkInvariants() {
        Set<Entry> inLru = new HashSet<>();
        for (List<Store> ss : stores) {
            for (Store s : ss) {
                Store.Snapshot sn = s.snapshot(true);
                long sum = 0;
                for (Entry e : sn.lruOrder()) {
                    sum += e.fileSize;
                    inLru.add(e);
                    if (index.get(e.id) != e) throw new AssertionError("LRU entry not in the index: " + e);
                }
                if (sn.reserved() != 0 || sn.pendingFree() != 0) {
                    throw new AssertionError(s.type + " " + s.root + ": reserved " + sn.reserved() + ", pendingFree " + sn.pendingFree() + " at rest");
                }
                if (sn.used() != sum) throw new AssertionError(s.type + " " + s.root + ": used " + sn.used() + " != sum of blocks " + sum);
                if (sn.used() > sn.quota()) throw new AssertionError(s.type + ": used " + sn.used() + " > quota " + sn.quota());
                Map<Path, Long> onDisk = new HashMap<>();
                try (var walk = Files.walk(s.root)) {
                    walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().equals(".lock"))
                            .filter(p -> !WholeObjects.isSum(p))
                            .forEach(p -> onDisk.put(p, p.toFile().length()
                                    + (p.toString().endsWith(WholeObjects.DATA_SUFFIX) ? WholeObjects.sumFileLength(p) : 0)));
                } catch (IOException e) {
                    throw new AssertionError("cannot walk " + s.root, e);
                }
                Map<Path, Long> expected = new HashMap<>();
                for (Entry e : sn.lruOrder()) expected.put(e.path, e.fileSize);
                if (!onDisk.equals(expected)) {
                    throw new AssertionError(s.type + " " + s.root + ": files on disk " + onDisk.keySet() + " != blocks " + expected.keySet());
                }
            }
        }
        for (Entry e : index.values()) {
            if (!inLru.contains(e)) throw new AssertionError("index entry not in any LRU: " + e);
        }
        if (!inflight.isEmpty()) throw new AssertionError("loads in flight at rest: " + inflight.keySet());
        Set<Entry> open = openFiles.cached();
        for (Entry e : open) {
            if (!inLru.contains(e)) throw new AssertionError("open file of a block no longer cached: " + e);
        }
        if (open.size() > maxOpenHandles) throw new AssertionError(open.size() + " open files, cap " + maxOpenHandles);
        if (openFiles.unclosed() != open.size()) {
            throw new AssertionError(openFiles.unclosed() + " block files open at rest, " + open.size() + " of them shared");
        }
    }

    /** The LRU order of one store, eldest first (tests). */
    List<BlockId> lruOrder(int level, int path) {
        return stores.get(level).get(path).snapshot(true).lruOrder().stream().map(e -> e.id).toList();
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
        return hot.size();
    }

    /** Pooled block buffers that exist (tests). */
    int pooledBuffers() {
        return buffers.allocated();
    }

    /** Every store, top level first (tests). */
    List<Store> allStores() {
        return stores.stream().flatMap(List::stream).toList();
    }

    boolean isClosed() {
        return closed;
    }

    /** Waits until background promotions and prefetches are done (tests). */
    void awaitBackground() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((background.getActiveCount() > 0 || !background.getQueue().isEmpty() || !promoting.isEmpty()
                || !inflight.isEmpty()) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }
}
