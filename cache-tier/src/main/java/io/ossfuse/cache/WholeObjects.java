package io.ossfuse.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole-object files of a {@link TieredBlockCache}: one plain data file per object version ({@code
 * <object>-<etag>.obj}, the object's bytes at their offsets, nothing else) and its checksums beside
 * it ({@code .sum}: the full key, the size and one CRC32C per 64 KiB chunk). The kernel can read
 * such a file itself (FUSE passthrough); the cache's own reads check each chunk once.
 *
 * <p>A file is built in the background once every block of the version is cached: each block is
 * read through the cache (so its checksums are checked) into a temp file of the top level, then
 * linked into place, and the version's block files are dropped — the bytes are stored twice only
 * while it is built. It is an {@link Entry} of its store like a block: counted in the quota, in the
 * same LRU, evicted at the same watermarks (deleted, not demoted: a lower level gets blocks again
 * on the next miss), dropped with its object's other versions. A file held by {@link #whole} stays
 * counted after eviction until the last holder lets go: an open file keeps an unlinked file's
 * space.
 *
 * <p>Over 400 lines: one job, a whole file's life (build from verified blocks, checksum file, reuse
 * after a restart, hand-out and drop), whose steps share the store's reservation and the holder
 * counts; split, each part would reach into the others' state.
 */
final class WholeObjects {
  private static final Logger log = LoggerFactory.getLogger(WholeObjects.class);
  static final String DATA_SUFFIX = ".obj";
  static final String SUM_SUFFIX = ".sum";
  private static final int MAGIC = 0x4F46574F; // 'OFWO'
  private static final int CHUNK = TieredBlockCache.CHUNK_SIZE;

  /** A loader that never loads: building only copies blocks already cached. */
  private static final BlockLoader CACHED_ONLY =
      k -> {
        throw new NotCached();
      };

  private static final class NotCached extends IOException {
    NotCached() {
      super("block no longer cached");
    }
  }

  /** Checksums of one whole file, read once per process. */
  private record Sums(long size, int[] crcs, AtomicLongArray verified) {}

  private final TieredBlockCache cache;
  private final Set<BlockId> building = ConcurrentHashMap.newKeySet();
  private final ConcurrentHashMap<Entry, Sums> sums = new ConcurrentHashMap<>();

  /** Holders per whole entry; an entry deleted while held is released by its last holder. */
  private final ConcurrentHashMap<Entry, int[]> holds = new ConcurrentHashMap<>();

  private final Set<Entry> releaseDeferred = ConcurrentHashMap.newKeySet();

  /** Whole files kept open for the cache's own reads (at most {@value #MAX_CHANNELS}). */
  private final ConcurrentHashMap<Entry, FileChannel> channels = new ConcurrentHashMap<>();

  private static final int MAX_CHANNELS = 256;
  private static final ThreadLocal<ByteBuffer> SCRATCH =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(CHUNK));
  final LongAdder built = new LongAdder();

  WholeObjects(TieredBlockCache cache) {
    this.cache = cache;
  }

  static BlockId idOf(String bucket, String objectKey, String etag, int blockSize) {
    return new BlockId(
        BlockId.objectHash(bucket, objectKey), BlockId.versionHash(etag, blockSize), BlockId.WHOLE);
  }

  static Path sumPath(Path data) {
    String n = data.getFileName().toString();
    return data.resolveSibling(n.substring(0, n.length() - DATA_SUFFIX.length()) + SUM_SUFFIX);
  }

  /** See {@link BlockCache#whole}. */
  Optional<WholeObject> whole(String bucket, String objectKey, String etag, long size) {
    int bs = cache.blockSize();
    BlockId id = idOf(bucket, objectKey, etag, bs);
    Entry e = cache.indexed(id);
    if (e != null) {
      Sums s = sums(e, new BlockKey(bucket, objectKey, etag, 0));
      if (s == null || s.size() != size) return Optional.empty();
      e.store.touch(e);
      return Optional.of(hold(e));
    }
    if (size > 0 && complete(bucket, objectKey, etag, size) && building.add(id)) {
      if (!cache.runInBackground(
          () -> {
            try {
              build(id, bucket, objectKey, etag, size);
            } finally {
              building.remove(id);
            }
          })) {
        building.remove(id);
      }
    }
    return Optional.empty();
  }

  /**
   * Whether {@code key}'s version is cached as a whole file (its blocks are not: prefetch skips
   * them).
   */
  boolean covers(BlockKey key) {
    return cache.indexed(idOf(key.bucket(), key.objectKey(), key.etag(), cache.blockSize()))
        != null;
  }

  /**
   * Whether every block of the version is cached or being loaded. A block still loading counts: the
   * reader that reached the end may have been handed the last block before it was stored, and the
   * build joins that load.
   */
  private boolean complete(String bucket, String objectKey, String etag, long size) {
    int bs = cache.blockSize();
    long blocks = (size + bs - 1) / bs;
    for (long i = 0; i < blocks; i++) {
      BlockKey k = new BlockKey(bucket, objectKey, etag, i);
      if (cache.indexed(BlockId.of(k, bs)) == null && !cache.loading(k)) return false;
    }
    return true;
  }

  private void build(BlockId id, String bucket, String objectKey, String etag, long size) {
    if (cache.indexed(id) != null) return;
    byte[] sum = sumFile(bucket, objectKey, etag, size, null);
    long total = size + sum.length;
    for (Store s : cache.storesOf(0)) {
      if (!cache.reserve(s, total)) continue;
      Path tmp = null;
      Path tmpSum = null;
      boolean committed = false;
      try {
        tmp = Files.createTempFile(s.tmpDir, "whole", ".tmp");
        int[] crcs = copyBlocks(tmp, bucket, objectKey, etag, size);
        tmpSum = Files.createTempFile(s.tmpDir, "whole", ".tmp");
        Files.write(tmpSum, sumFile(bucket, objectKey, etag, size, crcs));
        Path data = s.pathFor(id);
        Files.deleteIfExists(sumPath(data));
        Files.createLink(sumPath(data), tmpSum);
        Files.createLink(data, tmp);
        Entry e = new Entry(id, s, data, total);
        cache.putIndexed(id, e);
        s.commit(e);
        committed = true;
        sums.put(e, new Sums(size, crcs, new AtomicLongArray((crcs.length + 63) / 64)));
        built.increment();
        int dropped = cache.dropExactly(blockIds(bucket, objectKey, etag, size));
        log.debug("whole file of {} ({} bytes) built; {} blocks dropped", objectKey, size, dropped);
        return;
      } catch (NotCached | java.nio.file.FileAlreadyExistsException gone) {
        log.debug("whole file of {} not built: {}", objectKey, gone.toString());
      } catch (IOException | RuntimeException e) {
        log.debug("whole file of {} not built in {}: {}", objectKey, s.root, e.toString());
      } finally {
        if (tmp != null) deleteQuietly(tmp);
        if (tmpSum != null) deleteQuietly(tmpSum);
        if (!committed) s.unreserve(total);
      }
      return;
    }
  }

  private Set<BlockId> blockIds(String bucket, String objectKey, String etag, long size) {
    int bs = cache.blockSize();
    long blocks = (size + bs - 1) / bs;
    Set<BlockId> ids = new HashSet<>();
    for (long i = 0; i < blocks; i++)
      ids.add(BlockId.of(new BlockKey(bucket, objectKey, etag, i), bs));
    return ids;
  }

  /**
   * Copies every block, read (and checked) through the cache, into {@code tmp}; returns the chunk
   * CRCs.
   */
  private int[] copyBlocks(Path tmp, String bucket, String objectKey, String etag, long size)
      throws IOException {
    int bs = cache.blockSize();
    int[] crcs = new int[(int) ((size + CHUNK - 1) / CHUNK)];
    ByteBuffer buf = ByteBuffer.allocateDirect(bs);
    CRC32C crc = new CRC32C();
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      long blocks = (size + bs - 1) / bs;
      for (long i = 0; i < blocks; i++) {
        int len = (int) Math.min(bs, size - i * bs);
        buf.clear().limit(len);
        BlockKey k = new BlockKey(bucket, objectKey, etag, i);
        while (buf.hasRemaining()) {
          if (cache.read(k, buf.position(), buf, CACHED_ONLY) <= 0)
            throw new IOException("short block " + i);
        }
        buf.flip();
        for (int at = 0; at < len; at += CHUNK) {
          crc.reset();
          crc.update(buf.slice(at, Math.min(CHUNK, len - at)));
          crcs[(int) ((i * bs + at) / CHUNK)] = (int) crc.getValue();
        }
        while (buf.hasRemaining()) out.write(buf);
      }
      if (out.size() != size)
        throw new IOException("wrote " + out.size() + " bytes, expected " + size);
    }
    return crcs;
  }

  /** The .sum content; with {@code crcs} null, a file of the right length (for the reservation). */
  private static byte[] sumFile(
      String bucket, String objectKey, String etag, long size, int[] crcs) {
    byte[] b = bucket.getBytes(StandardCharsets.UTF_8);
    byte[] k = objectKey.getBytes(StandardCharsets.UTF_8);
    byte[] e = etag.getBytes(StandardCharsets.UTF_8);
    int chunks = (int) ((size + CHUNK - 1) / CHUNK);
    ByteBuffer h = ByteBuffer.allocate(32 + b.length + k.length + e.length + 4 * chunks + 4);
    h.putInt(MAGIC)
        .putInt(1)
        .putLong(size)
        .putInt(CHUNK)
        .putInt(b.length)
        .putInt(k.length)
        .putInt(e.length)
        .put(b)
        .put(k)
        .put(e);
    for (int c = 0; c < chunks; c++) h.putInt(crcs == null ? 0 : crcs[c]);
    CRC32C crc = new CRC32C();
    crc.update(h.array(), 0, h.position());
    h.putInt((int) crc.getValue());
    return h.array();
  }

  /**
   * The checksums of {@code e}, read and checked against {@code key} once; null when damaged (then
   * dropped).
   */
  private Sums sums(Entry e, BlockKey key) {
    Sums s = sums.get(e);
    if (s != null) return s;
    try {
      ByteBuffer h = ByteBuffer.wrap(Files.readAllBytes(sumPath(e.path)));
      if (h.limit() < 36 || h.getInt(0) != MAGIC)
        throw new CorruptBlockException("not a checksum file");
      CRC32C crc = new CRC32C();
      crc.update(h.array(), 0, h.limit() - 4);
      if ((int) crc.getValue() != h.getInt(h.limit() - 4))
        throw new CorruptBlockException("checksum file damaged");
      long size = h.getLong(8);
      byte[] want = sumFile(key.bucket(), key.objectKey(), key.etag(), size, null);
      int fixed = want.length - 4 * (int) ((size + CHUNK - 1) / CHUNK) - 4;
      if (h.limit() != want.length
          || !java.util.Arrays.equals(h.array(), 0, fixed, want, 0, fixed)) {
        throw new CorruptBlockException("checksum file is of another object");
      }
      if (Files.size(e.path) != size)
        throw new CorruptBlockException("data file is not " + size + " bytes");
      int[] crcs = new int[(h.limit() - fixed - 4) / 4];
      for (int c = 0; c < crcs.length; c++) crcs[c] = h.getInt(fixed + 4 * c);
      s = new Sums(size, crcs, new AtomicLongArray((crcs.length + 63) / 64));
      Sums prev = sums.putIfAbsent(e, s);
      return prev != null ? prev : s;
    } catch (NoSuchFileException gone) {
      cache.dropEntry(e);
      return null;
    } catch (IOException | RuntimeException bad) {
      log.warn("whole file {} is damaged ({}); dropping it", e.path, bad.getMessage());
      cache.dropEntry(e);
      return null;
    }
  }

  /**
   * Reads part of block {@code key} from the version's whole file, checking each chunk once.
   *
   * @return bytes copied, or -1 when there is no (sound) whole file
   */
  int read(BlockKey key, int off, ByteBuffer dst) throws IOException {
    int bs = cache.blockSize();
    Entry e = cache.indexed(idOf(key.bucket(), key.objectKey(), key.etag(), bs));
    if (e == null) return -1;
    Sums s = sums(e, key);
    if (s == null) return -1;
    long dataSize = s.size();
    long start = key.index() * (long) bs + off;
    long blockEnd = Math.min(dataSize, (key.index() + 1) * (long) bs);
    if (start >= blockEnd) return 0;
    int n = (int) Math.min(dst.remaining(), blockEnd - start);
    FileChannel shared = channels.get(e);
    FileChannel ch = shared;
    try {
      if (ch == null) {
        ch = FileChannel.open(e.path, StandardOpenOption.READ);
        if (channels.size() < MAX_CHANNELS && channels.putIfAbsent(e, ch) == null) {
          shared = ch;
          if (e.deleted) closeChannel(e); // deleted() ran meanwhile
        }
      }
      if (!verify(e, s, ch, start, n)) return -1;
      ByteBuffer view = dst.duplicate();
      view.limit(view.position() + n);
      BlockHeader.readFully(ch, view, start);
    } catch (NoSuchFileException | java.nio.channels.ClosedChannelException gone) {
      if (Thread.currentThread().isInterrupted())
        throw new java.io.InterruptedIOException("interrupted reading a whole file");
      return -1;
    } finally {
      if (ch != null && ch != shared) ch.close();
    }
    dst.position(dst.position() + n);
    e.store.hits.increment();
    e.store.touch(e);
    return n;
  }

  /**
   * Checks the chunks around [start, start + n) not checked yet; false (and the file dropped) on a
   * mismatch.
   */
  private boolean verify(Entry e, Sums s, FileChannel ch, long start, int n) throws IOException {
    CRC32C crc = null;
    for (long c = start / CHUNK * CHUNK; c < start + n; c += CHUNK) {
      int chunk = (int) (c / CHUNK);
      if ((s.verified().get(chunk >>> 6) & (1L << chunk)) != 0) continue;
      if (crc == null) crc = new CRC32C();
      ByteBuffer scratch = SCRATCH.get().clear();
      scratch.limit((int) Math.min(CHUNK, s.size() - c));
      BlockHeader.readFully(ch, scratch, c);
      crc.reset();
      crc.update(scratch.flip());
      if ((int) crc.getValue() != s.crcs()[chunk]) {
        log.warn("whole file {} is damaged (checksum of chunk {}); dropping it", e.path, chunk);
        cache.dropEntry(e);
        return false;
      }
      long bit = 1L << chunk;
      long v;
      while (((v = s.verified().get(chunk >>> 6)) & bit) == 0
          && !s.verified().compareAndSet(chunk >>> 6, v, v | bit)) {
        // another chunk of the word was marked meanwhile
      }
    }
    return true;
  }

  private void closeChannel(Entry e) {
    FileChannel ch = channels.remove(e);
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // read-only
      }
    }
  }

  /** Closes the files kept open for reading. */
  void close() {
    for (Entry e : List.copyOf(channels.keySet())) closeChannel(e);
  }

  private WholeObject hold(Entry e) {
    holds.compute(
        e,
        (k, h) -> {
          if (h == null) h = new int[1];
          h[0]++;
          return h;
        });
    AtomicBoolean released = new AtomicBoolean();
    return new WholeObject() {
      @Override
      public Path path() {
        return e.path;
      }

      @Override
      public void release() {
        if (released.compareAndSet(false, true)) unhold(e);
      }
    };
  }

  private void unhold(Entry e) {
    boolean[] last = new boolean[1];
    holds.computeIfPresent(
        e,
        (k, h) -> {
          if (--h[0] > 0) return h;
          last[0] = true;
          return null;
        });
    if (last[0] && releaseDeferred.remove(e)) e.store.release(e);
  }

  /**
   * The whole entry {@code e} was claimed and its data file deleted: deletes its checksums and
   * gives its space back now, or when its last holder lets go.
   */
  void deleted(Entry e) {
    closeChannel(e); // an open file would keep the space of a deleted one
    deleteQuietly(sumPath(e.path));
    sums.remove(e);
    boolean[] held = new boolean[1];
    holds.computeIfPresent(
        e,
        (k, h) -> {
          held[0] = true;
          releaseDeferred.add(e);
          return h;
        });
    if (!held[0]) e.store.release(e);
  }

  /** Bytes of whole files deleted but still held open (tests, stats). */
  long heldAfterEviction() {
    return releaseDeferred.stream().mapToLong(x -> x.fileSize).sum();
  }

  /** The length of the .sum file beside a data file found at start, or -1 when missing. */
  static long sumFileLength(Path data) {
    try {
      return Files.size(sumPath(data));
    } catch (IOException e) {
      return -1;
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      log.debug("cannot delete {}: {}", p, e.toString());
    }
  }

  /** Whether {@code p} is the checksum file of a whole file (it goes with its data file). */
  static boolean isSum(Path p) {
    return p.getFileName().toString().endsWith(SUM_SUFFIX);
  }
}
