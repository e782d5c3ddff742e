package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.cache.BlockCache;
import io.ossfuse.cache.BlockKey;
import io.ossfuse.cache.BlockLoader;
import io.ossfuse.cache.TieredBlockCache;
import io.ossfuse.cache.TieredStoreConfig;
import io.ossfuse.store.ListPage;
import io.ossfuse.store.MemoryObjectStore;
import io.ossfuse.store.ObjectMeta;
import io.ossfuse.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sequential readers get the next blocks fetched ahead; random readers do not. */
class ReadaheadTest {
  static final int MIB = 1 << 20;

  private static MemoryObjectStore storeWithBlob(byte[] blob) {
    return new MemoryObjectStore("b").put("blob", blob);
  }

  @Test
  void sequentialReadsPrefetchTheFollowingBlocks() throws Exception {
    byte[] blob = new byte[48 * MIB];
    new Random(1).nextBytes(blob);
    MemoryObjectStore store = storeWithBlob(blob);
    try (ObjectFileSystem fs =
        ObjectFileSystem.builder(store)
            .options(FsOptions.defaults().withReadaheadBlocks(4))
            .build()) {
      long ino = fs.lookup(1, "blob").ino();
      long fh = fs.open(ino, 0).fh();
      for (int off = 0; off < MIB; off += 128 * 1024) {
        ByteBuffer b = ByteBuffer.allocate(128 * 1024);
        assertEquals(b.capacity(), fs.read(ino, fh, off, b));
        assertEquals(ByteBuffer.wrap(blob, off, b.capacity()), b.flip());
      }
      long deadline = System.currentTimeMillis() + 10_000;
      while (store.readCalls() < 5 && System.currentTimeMillis() < deadline) Thread.sleep(10);
      assertEquals(5, store.readCalls(), "block 0 plus 4 blocks ahead");
      // Reading the prefetched region costs no further requests for those blocks.
      ByteBuffer b = ByteBuffer.allocate(128 * 1024);
      fs.read(ino, fh, 4L * 4 * MIB + 5, b);
      assertEquals(ByteBuffer.wrap(blob, 4 * 4 * MIB + 5, b.capacity()), b.flip());
      assertTrue(store.readCalls() <= 9, "reads: " + store.readCalls());
      fs.release(ino, fh);
    }
  }

  /**
   * Readers of one file through the page cache split one sequential sweep among their handles (each
   * reads what the others have not brought in yet), so each handle's reads jump; together they
   * fetch each byte once (bench figure 5).
   */
  @Test
  void handlesSplittingOneSweepFetchEachByteOnce(@TempDir Path dir) throws Exception {
    byte[] blob = new byte[32 * MIB];
    new Random(6).nextBytes(blob);
    TieredStoreConfig config =
        TieredStoreConfig.parse(
            "levels:\n    - {mediumtype: MEM, path: \""
                + dir
                + "\", quota: 128Mi, high: \"0.9\", low: \"0.8\"}\n");
    for (BlockCache cache :
        List.of(
            new SmallBlockCache(4 * MIB, 64L * MIB), TieredBlockCache.builder(config).build())) {
      MemoryObjectStore store = storeWithBlob(blob);
      try (cache;
          ObjectFileSystem fs = ObjectFileSystem.builder(store).cache(cache).build()) {
        long ino = fs.lookup(1, "blob").ino();
        int handles = 4;
        long[] fhs = new long[handles];
        for (int i = 0; i < handles; i++) fhs[i] = fs.open(ino, 0).fh();
        // MiB i goes to handle i % 4: every handle but the first jumps 3 MiB between its reads
        for (int off = 0; off < blob.length; off += MIB) {
          ByteBuffer b = ByteBuffer.allocate(MIB);
          assertEquals(MIB, fs.read(ino, fhs[(off / MIB) % handles], off, b));
          assertEquals(ByteBuffer.wrap(blob, off, MIB), b.flip(), "at " + off);
        }
        assertTrue(
            store.bytesRead() <= blob.length,
            cache.getClass().getSimpleName() + ": fetched " + store.bytesRead() + " bytes");
        for (long fh : fhs) fs.release(ino, fh);
      }
    }
  }

  @Test
  void randomReadsDoNotPrefetch() throws Exception {
    byte[] blob = new byte[48 * MIB];
    MemoryObjectStore store = storeWithBlob(blob);
    PrefetchCounting cache = new PrefetchCounting(new SmallBlockCache(4 * MIB, 64L << 20));
    try (cache;
        ObjectFileSystem fs =
            ObjectFileSystem.builder(store)
                .cache(cache)
                .options(FsOptions.defaults().withReadaheadBlocks(4))
                .build()) {
      long ino = fs.lookup(1, "blob").ino();
      long fh = fs.open(ino, 0).fh();
      long[] offs = {40L * MIB, 3L * MIB, 25L * MIB, 10L * MIB, 33L * MIB};
      for (long off : offs) fs.read(ino, fh, off, ByteBuffer.allocate(4096));
      // Readahead is asked for during the read: none asked, none can arrive later.
      assertEquals(0, cache.prefetches.get(), "prefetch requests");
      assertEquals(offs.length, store.readCalls());
    }
  }

  /** 4 KiB random reads over an object 4x the cache, through either cache: fetched <= 2x read. */
  @Test
  void randomReadsFetchOnlyTheirBytesWithEitherCache(@TempDir Path dir) throws Exception {
    byte[] blob = new byte[64 * MIB];
    new Random(3).nextBytes(blob);
    TieredStoreConfig config =
        TieredStoreConfig.parse(
            "levels:\n    - {mediumtype: MEM, path: \""
                + dir
                + "\", quota: 16Mi, high: \"0.9\", low: \"0.8\"}\n");
    for (BlockCache cache :
        List.of(
            new SmallBlockCache(4 * MIB, 16L * MIB), TieredBlockCache.builder(config).build())) {
      MemoryObjectStore store = storeWithBlob(blob);
      try (cache;
          ObjectFileSystem fs = ObjectFileSystem.builder(store).cache(cache).build()) {
        long ino = fs.lookup(1, "blob").ino();
        long fh = fs.open(ino, 0).fh();
        Random r = new Random(4);
        int reads = 2000;
        for (int i = 0; i < reads; i++) {
          long off = 4096L * (1 + r.nextInt(blob.length / 4096 - 1));
          ByteBuffer b = ByteBuffer.allocate(4096);
          assertEquals(4096, fs.read(ino, fh, off, b));
          assertEquals(ByteBuffer.wrap(blob, (int) off, 4096), b.flip(), "at " + off);
        }
        double amplification = (double) store.bytesRead() / (reads * 4096L);
        assertTrue(
            amplification <= 2,
            cache.getClass().getSimpleName() + ": fetched/read " + amplification);
        fs.release(ino, fh);
      }
    }
  }

  @Test
  void aRandomReadOfACachedBlockFetchesNothing() throws Exception {
    byte[] blob = new byte[16 * MIB];
    new Random(5).nextBytes(blob);
    MemoryObjectStore store = storeWithBlob(blob);
    try (ObjectFileSystem fs = ObjectFileSystem.builder(store).build()) {
      long ino = fs.lookup(1, "blob").ino();
      long fh = fs.open(ino, 0).fh();
      fs.read(
          ino,
          fh,
          0,
          ByteBuffer.allocate(4096)); // a whole-file reader's first read: block 0 cached
      fs.release(ino, fh);
      long before = store.readCalls();
      long fh2 = fs.open(ino, 0).fh();
      ByteBuffer b = ByteBuffer.allocate(8192);
      fs.read(ino, fh2, 3 * MIB, b);
      assertEquals(ByteBuffer.wrap(blob, 3 * MIB, 8192), b.flip());
      assertEquals(before, store.readCalls(), "served from the cached block");
      // a random read across into an uncached block: the cached part from the cache, the rest
      // fetched
      b = ByteBuffer.allocate(8192);
      fs.read(ino, fh2, 4 * MIB - 4096, b);
      assertEquals(ByteBuffer.wrap(blob, 4 * MIB - 4096, 8192), b.flip());
      assertEquals(before + 1, store.readCalls());
      assertEquals(4096, store.bytesRead() - 4 * MIB, "only the uncached 4 KiB fetched");
      fs.release(ino, fh2);
    }
  }

  @Test
  void theDefaultCacheIs256MibWithinHalfTheHeap() {
    assertEquals(
        256L * MIB,
        ObjectFileSystem.defaultCacheBytes(512L * MIB),
        "the daemon's children (-Xmx512m)");
    assertEquals(256L * MIB, ObjectFileSystem.defaultCacheBytes(4096L * MIB));
    assertEquals(64L * MIB, ObjectFileSystem.defaultCacheBytes(128L * MIB));
    assertEquals(8L * MIB, ObjectFileSystem.defaultCacheBytes(MIB), "at least two blocks");
  }

  @Test
  void readaheadStaysWithinHalfATieredCache(@TempDir Path dir) throws Exception {
    TieredStoreConfig config =
        TieredStoreConfig.parse(
            "levels:\n    - {mediumtype: MEM, path: \""
                + dir
                + "\", quota: 40Mi, high: \"0.9\", low: \"0.8\"}\n");
    try (TieredBlockCache cache = TieredBlockCache.builder(config).build()) {
      assertEquals(4, ObjectFileSystem.readaheadWithin(8, cache), "32 MiB held: 4 blocks ahead");
      assertEquals(2, ObjectFileSystem.readaheadWithin(2, cache));
    }
    assertEquals(
        8,
        ObjectFileSystem.readaheadWithin(8, new SmallBlockCache(4 * MIB, 16L * MIB)),
        "no levels: not limited");
  }

  /** Counts the prefetch requests a cache gets; everything else goes to the wrapped cache. */
  static final class PrefetchCounting implements BlockCache {
    final BlockCache cache;
    final AtomicInteger prefetches = new AtomicInteger();

    PrefetchCounting(BlockCache cache) {
      this.cache = cache;
    }

    @Override
    public int blockSize() {
      return cache.blockSize();
    }

    @Override
    public int read(BlockKey key, int offsetInBlock, ByteBuffer dst, BlockLoader loader)
        throws IOException {
      return cache.read(key, offsetInBlock, dst, loader);
    }

    @Override
    public int readIfCached(BlockKey key, int offsetInBlock, ByteBuffer dst) throws IOException {
      return cache.readIfCached(key, offsetInBlock, dst);
    }

    @Override
    public void prefetch(BlockKey key, BlockLoader loader) {
      prefetches.incrementAndGet();
      cache.prefetch(key, loader);
    }

    @Override
    public void prefetchRun(List<BlockKey> keys, BlockLoader loader) {
      prefetches.incrementAndGet();
      cache.prefetchRun(keys, loader);
    }

    @Override
    public int invalidate(String bucket, String objectKey) {
      return cache.invalidate(bucket, objectKey);
    }

    @Override
    public io.ossfuse.cache.CacheStats stats() {
      return cache.stats();
    }

    @Override
    public void close() throws IOException {
      cache.close();
    }
  }

  /** Counts readRun calls; the pieces themselves are read through the wrapped store. */
  static final class RunCounting implements ObjectStore {
    final MemoryObjectStore store;
    final AtomicInteger runs = new AtomicInteger();

    RunCounting(MemoryObjectStore store) {
      this.store = store;
    }

    @Override
    public String bucket() {
      return store.bucket();
    }

    @Override
    public ListPage list(String prefix, String token, int maxKeys) throws IOException {
      return store.list(prefix, token, maxKeys);
    }

    @Override
    public Optional<ObjectMeta> head(String key) throws IOException {
      return store.head(key);
    }

    @Override
    public void read(String key, String etag, long offset, ByteBuffer dst) throws IOException {
      store.read(key, etag, offset, dst);
    }

    @Override
    public void readRun(String key, String etag, long offset, int[] lengths, RunSink sink)
        throws IOException {
      runs.incrementAndGet();
      ObjectStore.super.readRun(key, etag, offset, lengths, sink);
    }
  }

  @Test
  void aSequentialReaderOverTheTieredCacheFetchesRunsOfBlocksOnce(@TempDir Path dir)
      throws Exception {
    byte[] blob = new byte[10 * 4 * MIB + 12345];
    new Random(2).nextBytes(blob);
    RunCounting store = new RunCounting(storeWithBlob(blob));
    TieredStoreConfig config =
        TieredStoreConfig.parse(
            "levels:\n    - {mediumtype: MEM, path: \""
                + dir
                + "\", quota: 256Mi, high: \"0.9\", low: \"0.8\"}\n");
    try (TieredBlockCache cache = TieredBlockCache.builder(config).build();
        ObjectFileSystem fs =
            ObjectFileSystem.builder(store)
                .cache(cache)
                .options(FsOptions.defaults().withReadaheadBlocks(4))
                .build()) {
      long ino = fs.lookup(1, "blob").ino();
      long fh = fs.open(ino, 0).fh();
      ByteBuffer b = ByteBuffer.allocate(128 * 1024);
      for (long off = 0; off < blob.length; off += b.capacity()) {
        b.clear();
        int n = fs.read(ino, fh, off, b);
        assertEquals(Math.min(b.capacity(), blob.length - off), n);
        assertEquals(ByteBuffer.wrap(blob, (int) off, n), b.flip(), "at " + off);
      }
      fs.release(ino, fh);
    }
    assertEquals(11, store.store.readCalls(), "every block fetched once");
    // block 0 on demand, then runs of 2 blocks: [1, 2], [3, 4], ... (a demand miss may take one
    // first)
    assertTrue(store.runs.get() >= 3 && store.runs.get() <= 6, store.runs.get() + " runs");
  }
}
