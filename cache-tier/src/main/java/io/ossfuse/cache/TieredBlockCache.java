package io.ossfuse.cache;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
 * files are immutable, a shared open file ({@link Entry.Handle}) keeps its parsed header and checks each
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
 * the victim. Readers that hold a shared open file ({@link Entry#handle}) are never blocked by a delete:
 * the deleter marks the entry, closes the handle, and a reader that raced it sees the mark and closes.
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
    static final String DIR_NAME = "ossfuse.blocks";
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
    private final List<FileChannel> lockChannels = new ArrayList<>();
    private final CacheScan prescan;
    private final Store.TakeoverLock takeoverLock;
    private final ConcurrentHashMap<BlockId, Entry> index = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<BlockKey, CompletableFuture<Loaded>> inflight = new ConcurrentHashMap<>();
    private final Set<BlockId> promoting = ConcurrentHashMap.newKeySet();
    /** Entries whose file is open for reading (see {@link Entry#handle}). */
    private final Set<Entry> openHandles = ConcurrentHashMap.newKeySet();
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
    private final LongAdder misses = new LongAdder();
    private final LongAdder coalesced = new LongAdder();
    private final LongAdder demotions = new LongAdder();
    private final LongAdder promotions = new LongAdder();
    private final LongAdder bytesLoaded = new LongAdder();
    private final LongAdder loadErrors = new LongAdder();
    private final LongAdder corruptBlocks = new LongAdder();
    private final LongAdder ioErrors = new LongAdder();
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

        /** Directory listings taken ahead ({@link CacheScan}), reused where a directory did not change. */
        public Builder prescanned(CacheScan scan) {
            this.prescan = scan;
            return this;
        }

        /**
         * For a takeover from a process that is exiting: a level it still holds locked is used at once, its
         * lock taken as soon as the kernel releases it; {@code stillLocked} runs (with one line saying which)
         * if that does not happen within {@code wait}. Default: a locked level is refused.
         */
        public Builder takeoverLock(java.time.Duration wait, java.util.function.Consumer<String> stillLocked) {
            this.takeoverLock = new Store.TakeoverLock(wait.toMillis(), stillLocked);
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
                    backgroundThreads, backgroundQueue, maxOpenHandles, prescan, takeoverLock);
        }
    }

    public static Builder builder(TieredStoreConfig config) {
        return new Builder(config);
    }

    private TieredBlockCache(TieredStoreConfig config, boolean fsync, int threads, int queue, int maxOpenHandles,
            CacheScan prescan, Store.TakeoverLock takeoverLock) {
        this.config = config;
        this.prescan = prescan;
        this.takeoverLock = takeoverLock;
        this.maxOpenHandles = withinFdLimit(maxOpenHandles);
        this.blockSize = config.blockSize();
        this.chunkSize = Math.min(CHUNK_SIZE, blockSize);
        this.promotion = config.promotion();
        this.fsync = fsync;
        List<List<Store>> all = new ArrayList<>();
        try {
            for (int l = 0; l < config.levels().size(); l++) {
                TierLevel level = config.levels().get(l);
                List<Store> ss = new ArrayList<>();
                for (int p = 0; p < level.paths().size(); p++) {
                    ss.add(openStore(l, level, level.paths().get(p), level.quotas().get(p)));
                }
                all.add(List.copyOf(ss));
            }
        } catch (RuntimeException e) {
            releaseLocks();
            throw e;
        }
        this.stores = List.copyOf(all);
        long t0 = System.nanoTime();
        int adopted = rebuildIndex();
        for (List<Store> ss : stores) for (Store s : ss) reserve(s, 0); // evict down to the watermarks
        log.info("tiered cache: {} blocks found in {} ms; levels {}", adopted,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), describeLevels());
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

    private Store openStore(int l, TierLevel level, Path path, long quota) {
        String where = "tieredstore level " + level.mediumType() + " path " + path;
        Path root = path.resolve(DIR_NAME);
        Store s = new Store(l, level.mediumType(), root, quota, level.high(), level.low());
        try {
            Files.createDirectories(s.tmpDir);
            for (int i = 0; i < 256; i++) {
                Path d = root.resolve(BlockId.dirName(i));
                if (!Files.isDirectory(d)) Files.createDirectories(d);
            }
            Path probe = Files.createTempFile(s.tmpDir, "probe", ".tmp");
            Files.delete(probe);
        } catch (IOException | UnsupportedOperationException e) {
            throw new CacheConfigException(where + ": cannot create or write the cache directory " + root + " ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + "); create it writable or choose another path", e);
        }
        try {
            FileChannel ch = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            Object fl;
            try {
                fl = Store.lock(ch, takeoverLock, where);
            } catch (OverlappingFileLockException e) {
                fl = null;
            }
            if (fl == null) {
                ch.close();
                throw new CacheConfigException(where + ": the directory is in use by another cache (lock " + root.resolve(".lock")
                        + "); give each mount its own path");
            }
            lockChannels.add(ch);
        } catch (IOException e) {
            throw new CacheConfigException(where + ": cannot lock " + root.resolve(".lock") + " (" + e.getMessage()
                    + "); check the directory", e);
        }
        try {
            FileStore fs = Files.getFileStore(root);
            long total = fs.getTotalSpace();
            if (quota > total) {
                log.warn("{}: quota {} is larger than the disk ({}); the level will fill the disk and fall through on ENOSPC",
                        where, Sizes.format(quota), Sizes.format(total));
            }
            if (level.mediumType() == MediumType.MEM && !Set.of("tmpfs", "ramfs").contains(fs.type())) {
                log.warn("{}: MEM level on a {} file system, not memory; use a tmpfs path such as /dev/shm/ossfuse", where, fs.type());
            }
        } catch (IOException e) {
            log.warn("{}: cannot check the disk size ({})", where, e.getMessage());
        }
        return s;
    }

    // ---------------------------------------------------------------- restart

    private record Found(Store store, BlockId id, Path path, long size, long mtime) {
    }

    private int rebuildIndex() {
        List<Found> found = new ArrayList<>();
        for (List<Store> ss : stores) {
            for (Store s : ss) {
                deleteAll(s.tmpDir);
                // directories in parallel: a stat per file dominates, and 100,000 files must take seconds at most
                List<List<Found>> perDir = java.util.stream.IntStream.range(0, 256).parallel()
                        .mapToObj(i -> scanDir(s, s.root.resolve(BlockId.dirName(i)), prescan)).toList();
                perDir.forEach(found::addAll);
            }
        }
        // oldest first so the most recently used end up youngest in the LRU
        found.sort(Comparator.comparingLong(Found::mtime));
        int adopted = 0;
        for (Found f : found) {
            Entry e = new Entry(f.id(), f.store(), f.path(), f.size());
            Entry prev = index.get(f.id());
            if (prev != null) {
                // a copy in two levels (a crash during a move): keep the upper one
                Entry loser = prev.store.level <= e.store.level ? e : prev;
                if (loser == prev) {
                    prev.store.claim(prev);
                    deleteQuietly(prev.path);
                    prev.store.release(prev);
                    index.put(f.id(), e);
                    e.store.adopt(e);
                } else {
                    deleteQuietly(e.path);
                }
                continue;
            }
            index.put(f.id(), e);
            e.store.adopt(e);
            versions.put(f.id().object(), new long[]{f.id().version(), f.id().version()});
            adopted++;
        }
        return adopted;
    }

    private static List<Found> scanDir(Store s, Path dir, CacheScan prescan) {
        List<Found> found = new ArrayList<>();
        String dirName = dir.getFileName().toString();
        try (DirectoryStream<Path> ds = CacheScan.open(prescan, dir)) {
            for (Path p : ds) {
                if (WholeObjects.isSum(p)) continue; // goes with its data file
                BlockId id = BlockId.parse(p.getFileName().toString());
                BasicFileAttributes a = id == null ? null : CacheScan.attributes(prescan, p);
                boolean whole = id != null && id.index() == BlockId.WHOLE;
                long sumLen = whole ? WholeObjects.sumFileLength(p) : 0;
                if (a == null || !a.isRegularFile() || (!whole && a.size() < BlockHeader.MIN_LEN) || sumLen < 0
                        || !id.dirName().equals(dirName)) {
                    log.debug("removing stray file {}", p);
                    deleteQuietly(p);
                    if (whole) deleteQuietly(WholeObjects.sumPath(p));
                    continue;
                }
                found.add(new Found(s, id, p, a.size() + sumLen, a.lastModifiedTime().toMillis()));
            }
        } catch (IOException e) {
            throw new CacheConfigException("tieredstore level " + s.type + ": cannot scan " + dir + " ("
                    + e.getMessage() + "); check the directory or remove it", e);
        }
        return found;
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
                    coalesced.increment();
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
                drop(me.getValue());
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
        boolean ownHandle = false;
        for (int attempt = 0; attempt < 4; attempt++) {
            Entry e = index.get(id);
            if (e == null) return -1;
            Entry.Handle hd = null;
            FileChannel opened = null;
            boolean shared = false;
            try {
                hd = ownHandle ? null : e.handle;
                if (hd != null) {
                    shared = true;
                } else {
                    opened = FileChannel.open(e.path, StandardOpenOption.READ);
                    hd = new Entry.Handle(opened, key, BlockHeader.read(opened, key, blockSize));
                    shared = !ownHandle && Entry.HANDLE.compareAndSet(e, null, hd);
                    if (shared) {
                        registerHandle(e);
                        // deleteAndRelease sets deleted before it closes the handle: one of us sees the other
                        if (e.deleted) closeHandle(e);
                    }
                }
                FileChannel ch = hd.channel();
                // a different key only on a BlockId hash collision: its header check then fails
                BlockHeader h = hd.key().equals(key) ? hd.header() : BlockHeader.read(ch, key, blockSize);
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
                    if (index.remove(id, e)) drop(e);
                    return -1;
                }
                seen = e;
            } catch (java.nio.channels.ClosedByInterruptException interrupted) {
                throw new InterruptedIOException("interrupted reading a cached block");
            } catch (java.nio.channels.ClosedChannelException closedUnderUs) {
                // a shared handle closed by eviction, by the handle limit or by another reader's interrupt;
                // the retry opens the file for this read alone, so handle churn never turns a hit into a load
                if (Thread.currentThread().isInterrupted()) throw new InterruptedIOException("interrupted reading a cached block");
                if (hd != null) Entry.HANDLE.compareAndSet(e, hd, null);
                ownHandle = true;
            } catch (CorruptBlockException | java.io.EOFException bad) {
                corruptBlocks.increment();
                log.warn("cache block {} of {} is damaged ({}); dropping it and fetching again", e, key, bad.getMessage());
                if (index.remove(id, e)) drop(e);
                return -1;
            } catch (IOException io) {
                ioErrors.increment();
                if (e.store.shouldWarn()) {
                    log.warn("cache block {} cannot be read ({}); reading from the origin (further errors for 10 s at DEBUG)", e, io.toString());
                } else {
                    log.debug("cache block {} cannot be read ({})", e, io.toString());
                }
                if (index.remove(id, e)) drop(e);
                return -1;
            } finally {
                if (opened != null && !shared) closeQuietly(opened);
            }
        }
        return -1;
    }

    /** Keeps at most {@code maxOpenHandles} shared handles open; closes arbitrary others beyond that. */
    private void registerHandle(Entry e) {
        openHandles.add(e);
        if (e.handle == null) openHandles.remove(e); // closed meanwhile
        if (openHandles.size() > maxOpenHandles) {
            int excess = openHandles.size() - maxOpenHandles;
            for (Entry x : openHandles) {
                if (excess <= 0) break;
                // the handle just registered is in use: passing it must not count as closing one
                if (x == e) continue;
                closeHandle(x);
                excess--;
            }
        }
    }

    private void closeHandle(Entry e) {
        Entry.Handle hd = Entry.HANDLE.getAndSet(e, null);
        openHandles.remove(e);
        if (hd != null) closeQuietly(hd.channel());
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // read-only channel: nothing to lose
        }
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
                        promote(e);
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
                loadErrors.increment();
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
            misses.increment();
            bytesLoaded.add(loaded.data.remaining());
            mine.complete(loaded);
            boolean stored = false, readToEnd = false;
            try {
                int n = dst == null ? 0 : copy(loaded.data, off, dst);
                readToEnd = dst != null && off + n >= loaded.data.limit();
                stored = store(key, id, loaded.data);
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
            loadErrors.increment();
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

    @FunctionalInterface
    private interface Content {
        void writeTo(FileChannel ch) throws IOException;
    }

    /**
     * Caches a freshly loaded block in the highest store that takes it; silently skips on failure.
     *
     * @return whether a file was committed (it may have been invalidated again since)
     */
    private boolean store(BlockKey key, BlockId id, ByteBuffer block) {
        if (closed) return false;
        ByteBuffer header = BlockHeader.encode(key, block, chunkSize, blockSize);
        long size = (long) header.remaining() + block.remaining();
        Content content = ch -> {
            ByteBuffer[] parts = {header.duplicate(), block.duplicate()};
            while (parts[1].hasRemaining()) ch.write(parts);
        };
        Entry e = place(id, size, content, 0, stores.size());
        if (e == null) return false;
        Entry prev = index.put(id, e);
        e.store.commit(e);
        if (prev != null && prev != e) {
            // a dangling entry whose file vanished and was re-created by us under the same name
            if (prev.path.equals(e.path)) {
                if (prev.store.claim(prev)) prev.store.release(prev);
            } else {
                drop(prev);
            }
        }
        if (index.get(id) != e && e.store.claim(e)) deleteAndRelease(e); // invalidated meanwhile
        dropOlderVersions(id);
        return true;
    }

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

    /**
     * Writes a block file into the first store of levels [from, to) that can reserve room for it.
     *
     * @return the written, renamed but not yet committed entry (its bytes are reserved), or null
     */
    private Entry place(BlockId id, long size, Content content, int from, int to) {
        for (int l = from; l < to; l++) {
            List<Store> candidates = new ArrayList<>(stores.get(l));
            if (candidates.size() > 1) candidates.sort(Comparator.comparingLong(Store::free).reversed());
            for (Store s : candidates) {
                if (!reserve(s, size)) continue;
                Entry e = write(s, id, size, content);
                if (e != null) return e;
            }
        }
        return null;
    }

    /**
     * Reserves {@code size} bytes in {@code s}, evicting as needed. Never waits for other threads: when the
     * room is held by writes or evictions in flight elsewhere, the block goes to the next store or level (or
     * is not cached). Waiting there chains up across levels and stalls readers for nothing.
     *
     * @return false when it does not fit now
     */
    boolean reserve(Store s, long size) {
        while (true) {
            Store.Reservation r = s.tryReserve(size);
            evict(r.victims());
            if (r.granted()) return true;
            if (r.hopeless() || r.victims().isEmpty() || closed) return false;
            // our own victims are gone now: try once more
        }
    }

    /** Writes to a temp file, then links it under its final name. Gives the reservation back on failure. */
    private Entry write(Store s, BlockId id, long size, Content content) {
        Path tmp = null;
        try {
            tmp = Files.createTempFile(s.tmpDir, "w", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                content.writeTo(ch);
                if (ch.size() != size) throw new IOException("wrote " + ch.size() + " bytes, expected " + size);
                if (fsync && s.type != MediumType.MEM) ch.force(false);
            }
            Path dst = s.pathFor(id);
            Files.createLink(dst, tmp); // unlike rename, never replaces a file someone else owns
            deleteQuietly(tmp);
            return new Entry(id, s, dst, size);
        } catch (FileAlreadyExistsException raced) {
            deleteQuietly(tmp);
            s.unreserve(size);
            return null;
        } catch (IOException | UncheckedIOException e) {
            if (tmp != null) deleteQuietly(tmp);
            s.unreserve(size);
            ioErrors.increment();
            String msg = String.valueOf(e.getMessage());
            if (msg.contains("No space left")) {
                long q = s.lowerQuotaToUsage();
                log.warn("tieredstore level {} at {}: disk full; quota lowered to {} until restart, falling through",
                        s.type, s.root, Sizes.format(q));
            } else if (s.shouldWarn()) {
                log.warn("tieredstore level {} at {}: cannot write a block ({}); falling through (further errors for 10 s at DEBUG)",
                        s.type, s.root, e.toString());
            } else {
                log.debug("tieredstore level {} at {}: cannot write a block ({})", s.type, s.root, e.toString());
            }
            return null;
        }
    }

    /** Moves claimed victims one level down where possible, otherwise deletes them. */
    private void evict(List<Entry> victims) {
        for (Entry v : victims) {
            v.store.evictions.increment();
            Entry moved = null;
            // a whole-object file is deleted, not demoted: the level below gets blocks on the next miss
            if (v.store.level + 1 < stores.size() && !closed && v.id.index() != BlockId.WHOLE) {
                moved = place(v.id, v.fileSize, ch -> copyFile(v.path, ch), v.store.level + 1, stores.size());
                if (moved != null) {
                    if (index.replace(v.id, v, moved)) {
                        moved.store.commit(moved);
                        demotions.increment();
                        if (index.get(v.id) != moved && moved.store.claim(moved)) deleteAndRelease(moved);
                    } else {
                        deleteQuietly(moved.path);
                        moved.store.unreserve(moved.fileSize);
                        moved = null;
                    }
                }
            }
            if (moved == null) index.remove(v.id, v);
            deleteAndRelease(v);
        }
    }

    /** Moves a block hit in a lower level up to the top level. */
    private void promote(Entry e) {
        if (closed || index.get(e.id) != e || !e.store.claim(e)) return;
        Entry up = place(e.id, e.fileSize, ch -> copyFile(e.path, ch), 0, e.store.level);
        if (up != null && index.replace(e.id, e, up)) {
            up.store.commit(up);
            promotions.increment();
            if (index.get(e.id) != up && up.store.claim(up)) deleteAndRelease(up);
            deleteAndRelease(e);
            return;
        }
        if (up != null) {
            deleteQuietly(up.path);
            up.store.unreserve(up.fileSize);
        }
        e.store.unclaim(e);
        if (index.get(e.id) != e && e.store.claim(e)) deleteAndRelease(e);
    }

    private static void copyFile(Path from, FileChannel to) throws IOException {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ)) {
            long size = in.size(), pos = 0;
            while (pos < size) {
                long n = in.transferTo(pos, size - pos, to);
                if (n <= 0) throw new IOException("short copy of " + from);
                pos += n;
            }
        }
    }

    /** Deletes an entry that was just removed from the index, if no one else owns it already. */
    private void drop(Entry e) {
        if (e.store.claim(e)) deleteAndRelease(e);
    }

    private void deleteAndRelease(Entry e) {
        e.deleted = true;
        closeHandle(e); // a deleted file held open would keep its space
        deleteQuietly(e.path);
        if (e.id.index() == BlockId.WHOLE) {
            wholes.deleted(e); // its space is given back when no one holds it open
        } else {
            e.store.release(e);
        }
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
        if (prev != null && prev != e) drop(prev);
    }

    List<Store> storesOf(int level) {
        return stores.get(level);
    }

    /** Drops an entry found damaged or gone. */
    void dropEntry(Entry e) {
        if (index.remove(e.id, e)) drop(e);
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

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.debug("cannot delete {}: {}", p, e.toString());
        }
    }

    private static void deleteAll(Path dir) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) deleteQuietly(p);
        } catch (IOException e) {
            log.debug("cannot clean {}: {}", dir, e.toString());
        }
    }

    // ---------------------------------------------------------------- stats, close

    @Override
    public CacheStats stats() {
        List<LevelStats> levels = new ArrayList<>();
        long hits = 0, evictions = 0;
        for (int l = 0; l < stores.size(); l++) {
            TierLevel tl = config.levels().get(l);
            long used = 0, quota = 0, blocks = 0, h = 0, ev = 0;
            for (Store s : stores.get(l)) {
                Store.Snapshot sn = s.snapshot(false);
                used += sn.used() + sn.reserved();
                quota += sn.quota();
                blocks += s.blocks();
                h += s.hits.sum();
                ev += s.evictions.sum();
            }
            hits += h;
            evictions += ev;
            levels.add(new LevelStats(tl.mediumType(), tl.paths(), used, quota, tl.high(), tl.low(), blocks, h, ev));
        }
        return new CacheStats(levels, hits, misses.sum(), coalesced.sum(), evictions, demotions.sum(),
                promotions.sum(), bytesLoaded.sum(), loadErrors.sum(), corruptBlocks.sum(), ioErrors.sum());
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
        for (Entry e : openHandles) closeHandle(e);
        wholes.close();
        for (Loaded l : hot.values()) unhot(l);
        releaseLocks();
    }

    private void releaseLocks() {
        for (FileChannel ch : lockChannels) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the lock goes with the process anyway
            }
        }
        lockChannels.clear();
    }

    private String describeLevels() {
        StringBuilder sb = new StringBuilder();
        for (TierLevel l : config.levels()) {
            sb.append(l.mediumType()).append(' ').append(Sizes.format(l.quota())).append(' ').append(l.paths()).append("; ");
        }
        return sb.toString();
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
        for (Entry e : openHandles) {
            if (!inLru.contains(e)) throw new AssertionError("open handle of a block no longer cached: " + e);
        }
        if (openHandles.size() > maxOpenHandles + 8) throw new AssertionError(openHandles.size() + " open handles");
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
