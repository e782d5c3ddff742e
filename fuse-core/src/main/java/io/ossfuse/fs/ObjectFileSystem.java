package io.ossfuse.fs;

import com.github.benmanes.caffeine.cache.Ticker;
import io.ossfuse.cache.BlockCache;
import io.ossfuse.cache.BlockKey;
import io.ossfuse.cache.BlockLoader;
import io.ossfuse.cache.WholeObject;
import io.ossfuse.store.ListPage;
import io.ossfuse.store.ObjectChangedException;
import io.ossfuse.store.ObjectMeta;
import io.ossfuse.store.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-only filesystem over one bucket directory. Files are objects, directories are key
 * prefixes (a common prefix or a zero-byte {@code dir/} marker). Sequential reads go through the
 * {@link BlockCache} in whole blocks with growing readahead; random reads are served from cached
 * blocks or fetched alone ({@link ReadPattern}). Every fetch is a ranged GET pinned to the ETag
 * seen at open. Behaviour while objects change is stated in docs/SEMANTICS.md.
 *
 * <p>Lookup of a name not in the metadata cache costs a HEAD of the key (a file: done), then, if
 * absent, a listing of {@code key/} with max-keys 1 (a directory, or ENOENT). HEAD goes first
 * because most lookups are of files and a HEAD is the cheaper request; a readdir puts every child
 * it lists into the cache, so {@code ls -l} costs the listing only.
 *
 * <p>Over 400 lines: every filesystem operation of the read-only view is here; the read path
 * (pattern, readahead, whole files) is the part to move into its own class next.
 */
public final class ObjectFileSystem implements ReadOnlyFileSystem {
  private static final Logger LOG = LoggerFactory.getLogger(ObjectFileSystem.class);
  static final int O_ACCMODE = 03, O_RDONLY = 0, O_TRUNC = 01000, O_CREAT = 0100;
  static final String XATTR_ETAG = "user.oss.etag";
  static final String XATTR_KEY = "user.oss.key";

  /** The only extended-attribute namespace served. */
  static final String USER_XATTRS = "user.";

  public static final int DEFAULT_BLOCK_SIZE = 4 << 20;

  /** The in-heap block cache used without a tiered store, unless the heap is too small for it. */
  public static final long DEFAULT_CACHE_BYTES = 256L << 20;

  /**
   * The default cache's size for a JVM whose heap may grow to {@code maxHeap}: {@link
   * #DEFAULT_CACHE_BYTES}, but at most half the heap (the rest is for buffers and metadata), and at
   * least two blocks.
   */
  static long defaultCacheBytes(long maxHeap) {
    return Math.max(2L * DEFAULT_BLOCK_SIZE, Math.min(DEFAULT_CACHE_BYTES, maxHeap / 2));
  }

  private final ObjectStore store;
  private final String prefix;
  private final BlockCache cache;
  private final boolean ownsCache;
  private final InodeTable inodes;
  private final FsOptions options;

  /** Blocks fetched ahead of a sequential reader at most: the option, within half the cache. */
  private final int readaheadBlocks;

  private final MetaCache meta;
  private final MetaJournal journal;

  /**
   * Complete listings, reused by the next opendir of the same directory within the metadata TTL.
   */
  private final com.github.benmanes.caffeine.cache.Cache<String, DirListing> listings;

  private final Instant mountTime;
  private final Map<Long, DirHandle> dirs = new ConcurrentHashMap<>();
  private final Map<Long, FileHandle> files = new ConcurrentHashMap<>();

  /**
   * Handles of different processes serving the same connection (seamless takeover) must not
   * collide: the kernel may send a handle of the dead process with a READ. Seeded from the clock,
   * so a successor's handles start far above its predecessor's.
   */
  private final AtomicLong nextFh = new AtomicLong(System.currentTimeMillis() << 20);

  /**
   * File handles: this counter in the high 32 bits, the ETag's hash in the low ({@link
   * FileHandle#versionBits}).
   */
  private final AtomicLong nextFileSeq = new AtomicLong(System.currentTimeMillis());

  private final PageCacheVersions pageCache = new PageCacheVersions();

  /** Each object version's access pattern over all its handles (page-cache readers share one). */
  private final ObjectPatterns objectPatterns = new ObjectPatterns();

  private final SmallFilePrefetch smallFiles;

  /** Requests listing pages ahead of readdir ({@link DirHandle}); threads end when idle. */
  private final java.util.concurrent.ExecutorService listAhead =
      java.util.concurrent.Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "ossfuse-list-ahead");
            t.setDaemon(true);
            return t;
          });

  private ObjectFileSystem(Builder b) {
    this.store = b.store;
    this.prefix = b.prefix;
    this.options = b.options;
    this.ownsCache = b.cache == null;
    this.cache =
        b.cache != null
            ? b.cache
            : new SmallBlockCache(
                DEFAULT_BLOCK_SIZE, defaultCacheBytes(Runtime.getRuntime().maxMemory()));
    this.inodes = b.inodes != null ? b.inodes : InodeTable.inMemory();
    this.readaheadBlocks = readaheadWithin(options.readaheadBlocks(), cache);
    this.meta =
        new MetaCache(options.metadataTtl(), options.negativeTtl(), b.ticker, 1_000_000, b.journal);
    this.journal = b.journal;
    if (b.metaAhead != null) meta.seed(b.metaAhead.current());
    this.mountTime = b.mountTime != null ? b.mountTime : Instant.now();
    this.listings =
        com.github.benmanes.caffeine.cache.Caffeine.newBuilder()
            .ticker(b.ticker)
            .expireAfterWrite(options.metadataTtl())
            .maximumWeight(options.metadataTtl().isZero() ? 0 : 2_000_000)
            .weigher((String k, DirListing v) -> 1 + v.size())
            .build();
    double holds =
        ownsCache
            ? defaultCacheBytes(Runtime.getRuntime().maxMemory())
            : heldBelowWatermarks(cache);
    this.smallFiles =
        new SmallFilePrefetch(
            cache,
            store.bucket(),
            options.prefetchSmallFiles(),
            options.readaheadBlocks() > 0,
            (long) (holds / 4),
            n -> blockLoader(new FileHandle(n.key(), n, false)));
  }

  /** What a tiered cache holds below its low watermarks; 0 for a cache that reports no levels. */
  private static double heldBelowWatermarks(BlockCache cache) {
    double holds = 0;
    for (var level : cache.stats().levels()) holds += level.quotaBytes() * level.low();
    return holds;
  }

  /**
   * {@code wanted} blocks, but no more than half of what {@code cache} holds below its low
   * watermarks: blocks fetched further ahead would be evicted before the reader gets to them, and
   * fetched again. A cache that reports no levels (the in-heap one) is not limited.
   */
  static int readaheadWithin(int wanted, BlockCache cache) {
    double holds = heldBelowWatermarks(cache);
    if (holds <= 0) return wanted;
    return (int) Math.max(0, Math.min(wanted, holds / cache.blockSize() / 2));
  }

  public static Builder builder(ObjectStore store) {
    return new Builder(store);
  }

  /** Builds an {@link ObjectFileSystem}; only the store is required. */
  public static final class Builder {
    private final ObjectStore store;
    private String prefix = "";
    private BlockCache cache;
    private InodeTable inodes;
    private FsOptions options = FsOptions.defaults();
    private Ticker ticker = Ticker.systemTicker();
    private Instant mountTime;

    private Builder(ObjectStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /** The key prefix of the mounted directory: "" (bucket root) or ending in "/". */
    public Builder prefix(String prefix) {
      if (!prefix.isEmpty() && !prefix.endsWith("/")) {
        throw new IllegalArgumentException(
            "prefix must be empty or end with '/', got '" + prefix + "'");
      }
      this.prefix = prefix;
      return this;
    }

    /**
     * The block cache reads go through (its prefetch serves readahead); default: a 256 MiB in-heap
     * cache (at most half the heap) of 4 MiB blocks with 4 prefetch threads, closed with the
     * filesystem.
     */
    public Builder cache(BlockCache cache) {
      this.cache = cache;
      return this;
    }

    /** The inode table; default: in memory. Not closed by the filesystem. */
    public Builder inodes(InodeTable inodes) {
      this.inodes = inodes;
      return this;
    }

    public Builder options(FsOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Drives metadata-cache expiry (tests use a fake one). */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** The mtime shown for directories without a marker object; default: now. */
    /**
     * Writes what the filesystem learns of the store's metadata to {@code journal}, for a standby
     * that takes over (closed with the filesystem).
     */
    public Builder metadataJournal(MetaJournal journal) {
      this.journal = journal;
      return this;
    }

    /** Starts with what a predecessor knew, as read ahead by {@code ahead} (within its TTLs). */
    public Builder metadataFrom(MetaPreload ahead) {
      this.metaAhead = ahead;
      return this;
    }

    private MetaJournal journal;
    private MetaPreload metaAhead;

    public Builder mountTime(Instant t) {
      this.mountTime = t;
      return this;
    }

    public ObjectFileSystem build() {
      return new ObjectFileSystem(this);
    }
  }

  // ---- metadata ---------------------------------------------------------------------------

  private static String child(String parent, String name) {
    return parent.isEmpty() ? name : parent + "/" + name;
  }

  private static String parentOf(String path) {
    int i = path.lastIndexOf('/');
    return i < 0 ? "" : path.substring(0, i);
  }

  private String path(long ino) throws FsException {
    return inodes
        .path(ino)
        .orElseThrow(() -> new FsException(Errno.ESTALE, "unknown inode " + ino));
  }

  /** The node at {@code path}, from the cache or the store. */
  Optional<Node> resolve(String path) throws FsException {
    if (path.isEmpty()) return Optional.of(Node.dir(prefix, mountTime));
    Optional<Node> cached = meta.get(path);
    if (cached != null) return cached;
    DirListing siblings = listings.getIfPresent(parentOf(path));
    if (siblings != null) {
      // The parent was listed completely within the TTL: it knows the answer, positive or negative.
      Optional<Node> found = siblings.find(path.substring(path.lastIndexOf('/') + 1));
      meta.put(path, found);
      return found;
    }
    String key = prefix + path;
    if (KeyNames.unservableKey(key) != null) {
      // Never listed either (DirHandle); the SDK would refuse the request.
      meta.put(path, Optional.empty());
      return Optional.empty();
    }
    try {
      Optional<ObjectMeta> head = store.head(key);
      Optional<Node> found;
      if (head.isPresent()) {
        ObjectMeta m = head.get();
        found = Optional.of(Node.file(key, m.size(), m.etag(), m.lastModified()));
      } else {
        ListPage page = store.list(key + "/", null, 1);
        boolean dir = !page.objects().isEmpty() || !page.commonPrefixes().isEmpty();
        Instant mtime =
            page.objects().stream()
                .filter(o -> o.key().equals(key + "/"))
                .map(ObjectMeta::lastModified)
                .findFirst()
                .orElse(mountTime);
        found = dir ? Optional.of(Node.dir(key + "/", mtime)) : Optional.empty();
      }
      meta.put(path, found);
      return found;
    } catch (IOException e) {
      throw Errors.toFs(e, "lookup " + path);
    }
  }

  private Node existing(String path) throws FsException {
    return resolve(path).orElseThrow(() -> new FsException(Errno.ENOENT, "no such file: " + path));
  }

  private FileAttr attr(long ino, Node n) {
    boolean dir = n.isDir();
    int perm = (dir ? 0555 : 0444) & ~options.umask();
    return new FileAttr(
        ino, n.type(), n.size(), perm, dir ? 2 : 1, options.uid(), options.gid(), n.mtime());
  }

  @Override
  public FileAttr lookup(long parent, String name) throws FsException {
    String parentPath = path(parent);
    if (name.equals(".")) return getattr(parent);
    if (name.equals("..")) {
      String pp = parentOf(parentPath);
      return attr(parentPath.isEmpty() ? ROOT_INO : inodes.lookup(pp), existing(pp));
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > 255)
      throw new FsException(Errno.ENAMETOOLONG, "name too long");
    if (!DirHandle.validName(name)) throw new FsException(Errno.ENOENT, "invalid name");
    String p = child(parentPath, name);
    Node n = existing(p);
    try {
      return attr(inodes.lookup(p), n);
    } catch (UncheckedIOException e) {
      throw Errors.toFs(e, "lookup " + p);
    }
  }

  @Override
  public void forget(long ino, long nlookup) {
    pageCache.forget(ino);
    try {
      inodes.forget(ino, nlookup);
    } catch (UncheckedIOException e) {
      LOG.warn("forget {}: {}", ino, e.getMessage());
    }
  }

  @Override
  public FileAttr getattr(long ino) throws FsException {
    return attr(ino, existing(path(ino)));
  }

  // ---- directories ------------------------------------------------------------------------

  @Override
  public long opendir(long ino) throws FsException {
    String p = path(ino);
    Node n = existing(p);
    if (!n.isDir()) throw new FsException(Errno.ENOTDIR, "not a directory: " + p);
    long fh = nextFh.getAndIncrement();
    dirs.put(fh, newDirHandle(p, n));
    return fh;
  }

  private DirHandle newDirHandle(String p, Node n) {
    DirListing cached = listings.getIfPresent(p);
    if (cached != null) return DirHandle.cached(p, cached.children);
    return new DirHandle(
        p,
        p.isEmpty() ? prefix : prefix + p + "/",
        store,
        options.listPageSize(),
        mountTime,
        children -> {
          DirListing listing = new DirListing(children);
          listings.put(p, listing);
          smallFiles.listed(listing);
        },
        listAhead);
  }

  @Override
  public void readdir(long ino, long fh, long offset, DirFiller filler) throws FsException {
    String p = path(ino);
    DirHandle h = dirs.get(fh);
    if (h == null || !h.path.equals(p)) {
      // An unknown handle (e.g. opened by a previous process): list afresh, offsets by position.
      Node n = existing(p);
      if (!n.isDir()) throw new FsException(Errno.ENOTDIR, "not a directory: " + p);
      h = newDirHandle(p, n);
    }
    try {
      long off = offset;
      while (true) {
        DirEntry e;
        if (off == 0) {
          e = new DirEntry(".", getattr(ino), 1);
        } else if (off == 1) {
          String pp = parentOf(p);
          long pino = p.isEmpty() ? ROOT_INO : inodes.assign(pp);
          e = new DirEntry("..", attr(pino, Node.dir(pp, mountTime)), 2);
        } else {
          DirHandle.Child c =
              h.child((int) (off - 2), ch -> meta.put(child(p, ch.name()), Optional.of(ch.node())));
          if (c == null) return;
          e = new DirEntry(c.name(), attr(inodes.assign(child(p, c.name())), c.node()), off + 1);
        }
        if (!filler.add(e)) return;
        off++;
      }
    } catch (IOException | UncheckedIOException e) {
      throw Errors.toFs(e, "readdir " + p);
    }
  }

  @Override
  public void releasedir(long ino, long fh) {
    dirs.remove(fh);
  }

  // ---- files ------------------------------------------------------------------------------

  /**
   * Pins the version the metadata knows now (HEAD or listing, within the metadata TTL) and tells
   * the transport what to do with the kernel's page cache so the open reads that version only.
   */
  @Override
  public OpenFile open(long ino, int flags) throws FsException {
    String p = path(ino);
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT)) != 0) {
      throw new FsException(Errno.EROFS, "read-only filesystem: " + p);
    }
    Node n = existing(p);
    if (n.isDir()) throw new FsException(Errno.EISDIR, "is a directory: " + p);
    DirListing siblings = listings.getIfPresent(parentOf(p));
    if (siblings != null) smallFiles.opened(siblings, p.substring(p.lastIndexOf('/') + 1));
    OpenFile.PageCache pc = pageCache.open(ino, n.etag());
    long fh = (nextFileSeq.getAndIncrement() << 32) | FileHandle.versionBits(n.etag());
    files.put(fh, new FileHandle(p, n, pc != OpenFile.PageCache.BYPASS));
    if (pc != OpenFile.PageCache.KEEP && LOG.isDebugEnabled()) {
      LOG.debug("open {} at ETag {}: page cache {}", p, n.etag(), pc);
    }
    return new OpenFile(fh, pc, attr(ino, n), backing(n));
  }

  /**
   * The cache's whole-object file of the version {@code n}, for the transport to hand the kernel,
   * or null.
   */
  private BackingFile backing(Node n) {
    if (!servedWhole(n.size())) return null;
    Optional<WholeObject> w = cache.whole(store.bucket(), n.key(), n.etag(), n.size());
    if (w.isEmpty()) return null;
    WholeObject whole = w.get();
    String etag = n.etag();
    return new BackingFile() {
      @Override
      public java.nio.file.Path path() {
        return whole.path();
      }

      @Override
      public String version() {
        return etag;
      }

      @Override
      public void release() {
        whole.release();
      }
    };
  }

  /**
   * Whether an object of {@code size} bytes gets a whole-object file and passthrough opens: only
   * with passthrough on, and only over one block. An object of one block is one cached block file
   * already, which the kernel's page cache keeps between opens of the version (FOPEN_KEEP_CACHE);
   * building and registering a second copy of it cost more per open than it saves
   * (docs/SEMANTICS.md, "FUSE passthrough").
   */
  private boolean servedWhole(long size) {
    return options.passthrough() && size > cache.blockSize();
  }

  @Override
  public int read(long ino, long fh, long offset, ByteBuffer dst) throws FsException {
    FileHandle h = files.get(fh);
    if (h == null || !h.path.equals(path(ino))) {
      // Not opened by this process (a restarted transport): serve it while the object is still at
      // the version the handle was opened at, which its number carries.
      String p = path(ino);
      Node n = existing(p);
      if (n.isDir()) throw new FsException(Errno.EISDIR, "is a directory: " + p);
      if (!FileHandle.openedAt(fh, n.etag())) {
        LOG.warn(
            "{} changed since it was opened before a restart (now ETag {}); reads of the old version fail, reopen to see the new one",
            p,
            n.etag());
        throw new FsException(Errno.EIO, "object changed since open: " + p);
      }
      FileHandle orphan = new FileHandle(p, n, false);
      // kept, so its access pattern carries over from read to read (released like any handle)
      h = h == null ? Objects.requireNonNullElse(files.putIfAbsent(fh, orphan), orphan) : orphan;
    }
    if (offset < 0) throw new FsException(Errno.EINVAL, "negative offset");
    if (offset >= h.size || !dst.hasRemaining()) return 0;
    int want = (int) Math.min(dst.remaining(), h.size - offset);
    int bs = cache.blockSize();
    ByteBuffer out = dst.duplicate();
    out.limit(out.position() + want);
    BlockLoader loader = blockLoader(h);
    ReadPattern.Plan plan =
        ObjectPatterns.plan(
            h.pattern, objectPatterns.of(h), offset, offset + want, bs, readaheadBlocks);
    long pos = offset;
    try {
      if (!plan.throughBlocks()) pos = readRandom(h, pos, out);
      while (out.hasRemaining()) {
        long idx = pos / bs;
        int n = cache.read(key(h, idx), (int) (pos % bs), out, loader);
        if (n <= 0) throw new FsException(Errno.EIO, "short block " + idx + " of " + h.key);
        pos += n;
      }
    } catch (IOException | RuntimeException e) {
      FsException fe = Errors.toFs(e, "read " + h.path);
      if (Errors.unwrap(e) instanceof ObjectChangedException) {
        cache.invalidate(store.bucket(), h.key);
        refresh(h.path);
        LOG.warn(
            "{} changed since it was opened (ETag {}); reads of the old version fail, reopen to see the new one",
            h.path,
            h.etag);
      }
      throw fe;
    }
    dst.position(dst.position() + want);
    if (LOG.isTraceEnabled()) LOG.trace("read {} at {} +{}", h.path, offset, want);
    if (offset + want >= h.size && servedWhole(h.size)) {
      // the end of the object was read: with every block cached, the cache builds its whole file
      // now, so the next open of this version can be passthrough
      cache.whole(store.bucket(), h.key, h.etag, h.size).ifPresent(WholeObject::release);
    }
    if (plan.readahead()) readahead(h, plan, offset, loader);
    return want;
  }

  /** Loads blocks of the version {@code h} was opened at. */
  private BlockLoader blockLoader(FileHandle h) {
    return new BlockLoader() {
      @Override
      public ByteBuffer load(BlockKey k) throws IOException {
        return ObjectFileSystem.this.load(h, k, null);
      }

      @Override
      public ByteBuffer load(BlockKey k, ByteBuffer into) throws IOException {
        return ObjectFileSystem.this.load(h, k, into);
      }

      @Override
      public void loadRun(List<BlockKey> keys, Sink sink) throws IOException {
        ObjectFileSystem.this.loadRun(h, keys, sink);
      }
    };
  }

  /**
   * Serves a random read: from cached blocks while they are cached, the rest with one ranged GET of
   * exactly the bytes asked for (the kernel asks page-aligned; nothing around them would be kept).
   *
   * @return the object offset reached: the end of the read, or where a block turned out short
   */
  private long readRandom(FileHandle h, long pos, ByteBuffer out) throws IOException {
    int bs = cache.blockSize();
    while (out.hasRemaining()) {
      int n = cache.readIfCached(key(h, pos / bs), (int) (pos % bs), out);
      if (n < 0) break;
      if (n == 0) return pos; // a short block: the block path reports it
      pos += n;
    }
    if (out.hasRemaining()) {
      int len = out.remaining();
      store.read(h.key, h.etag, pos, out.slice());
      out.position(out.position() + len);
      pos += len;
    }
    return pos;
  }

  /** Forgets what we knew about {@code path} (and its parent's listing) and looks it up afresh. */
  private void refresh(String path) {
    meta.invalidate(path);
    listings.invalidate(parentOf(path));
    try {
      resolve(path);
    } catch (FsException e) {
      LOG.debug("refreshing {} after a change: {}", path, e.getMessage());
    }
  }

  private BlockKey key(FileHandle h, long idx) {
    return new BlockKey(store.bucket(), h.key, h.etag, idx);
  }

  /**
   * Fetches block {@code k} into {@code into} when given (the cache's pooled buffer), else a new
   * one.
   */
  private ByteBuffer load(FileHandle h, BlockKey k, ByteBuffer into) throws IOException {
    int bs = cache.blockSize();
    long start = k.index() * bs;
    int len = (int) Math.min(bs, h.size - start);
    if (len <= 0) throw new IOException("block " + k.index() + " is past the end of " + h.key);
    ByteBuffer buf =
        into != null && into.capacity() >= len ? into.clear().limit(len) : ByteBuffer.allocate(len);
    store.read(h.key, h.etag, start, buf);
    return buf.flip();
  }

  /**
   * Fetches consecutive blocks of {@code h} with one ranged GET, each handed over as soon as it is
   * in.
   */
  private void loadRun(FileHandle h, List<BlockKey> keys, BlockLoader.Sink sink)
      throws IOException {
    int bs = cache.blockSize();
    long first = keys.get(0).index();
    int[] lengths = new int[keys.size()];
    for (int i = 0; i < lengths.length; i++) {
      long idx = keys.get(i).index();
      if (idx != first + i)
        throw new IllegalArgumentException("blocks of a run must be consecutive: " + keys);
      lengths[i] = (int) Math.min(bs, h.size - idx * bs);
      if (lengths[i] <= 0) throw new IOException("block " + idx + " is past the end of " + h.key);
    }
    store.readRun(
        h.key,
        h.etag,
        first * bs,
        lengths,
        new ObjectStore.RunSink() {
          @Override
          public ByteBuffer buffer(int i, int length) {
            ByteBuffer into = sink.buffer(keys.get(i));
            return into != null && into.capacity() >= length
                ? into.clear().limit(length)
                : ByteBuffer.allocate(length);
          }

          @Override
          public void filled(int i, ByteBuffer dst) {
            sink.loaded(keys.get(i), dst.flip());
          }
        });
  }

  private void readahead(FileHandle h, ReadPattern.Plan plan, long offset, BlockLoader loader) {
    if (LOG.isTraceEnabled()) {
      LOG.trace(
          "readahead {} blocks {}..{} after read at {}",
          h.path,
          plan.readaheadFrom(),
          plan.readaheadTo(),
          offset);
    }
    int run = ReadPattern.runBlocks(readaheadBlocks);
    for (long i = plan.readaheadFrom(); i <= plan.readaheadTo(); i += run) {
      List<BlockKey> keys = new ArrayList<>(run);
      for (long j = i; j <= Math.min(plan.readaheadTo(), i + run - 1); j++) keys.add(key(h, j));
      cache.prefetchRun(keys, loader);
    }
  }

  @Override
  public void release(long ino, long fh) {
    FileHandle h = files.remove(fh);
    if (h != null) objectPatterns.release(h);
    if (h != null && h.pageCacheReader) pageCache.release(ino);
  }

  // ---- the rest ---------------------------------------------------------------------------

  @Override
  public StatFs statfs() {
    // Object storage has no capacity; report a large, full, read-only filesystem.
    long blocks = (1L << 50) / 4096;
    return new StatFs(4096, blocks, 0, 1L << 32, 0, 255);
  }

  /**
   * {@inheritDoc} Names outside {@code user.} (security labels, POSIX ACLs) answer EOPNOTSUPP, not
   * ENODATA: {@code ls -l} asks for {@code security.selinux} and {@code system.posix_acl_access} of
   * every file unless the filesystem says it has no such attributes at all, which it remembers per
   * device. ENODATA cost two requests per listed entry.
   */
  @Override
  public byte[] getxattr(long ino, String name) throws FsException {
    Node n = existing(path(ino));
    if (!name.startsWith(USER_XATTRS))
      throw new FsException(Errno.EOPNOTSUPP, "no " + name + " attributes");
    String v =
        switch (name) {
          case XATTR_ETAG -> n.isDir() ? null : n.etag();
          case XATTR_KEY -> n.key();
          default -> null;
        };
    if (v == null) throw new FsException(Errno.ENODATA, "no attribute " + name);
    return v.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public List<String> listxattr(long ino) throws FsException {
    Node n = existing(path(ino));
    return n.isDir() ? List.of(XATTR_KEY) : List.of(XATTR_ETAG, XATTR_KEY);
  }

  @Override
  public Duration attrTimeout() {
    return options.metadataTtl();
  }

  @Override
  public Duration entryTimeout() {
    return options.metadataTtl();
  }

  /** The block cache reads go through: the one given, or the in-heap default. */
  public BlockCache cache() {
    return cache;
  }

  /** The inode table (transports that persist node ids across restarts use it). */
  public InodeTable inodes() {
    return inodes;
  }

  @Override
  public void close() {
    if (journal != null) journal.close();
    smallFiles.close();
    listAhead.shutdownNow();
    dirs.clear();
    files.clear();
    if (ownsCache) {
      try {
        cache.close();
      } catch (IOException e) {
        LOG.warn("closing the block cache: {}", e.getMessage());
      }
    }
  }
}
