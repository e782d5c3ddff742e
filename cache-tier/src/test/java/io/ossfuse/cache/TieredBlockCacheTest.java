package io.ossfuse.cache;

import static io.ossfuse.cache.TestBlocks.expected;
import static io.ossfuse.cache.TestBlocks.key;
import static io.ossfuse.cache.TestBlocks.levelYaml;
import static io.ossfuse.cache.TestBlocks.readAndCheck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(CacheInvariants.class)
class TieredBlockCacheTest {
  static final int BS = 256 * 1024; // four 64 KiB checksum chunks per block

  @TempDir Path dir;

  private TieredBlockCache memSsd(String memQuota, String ssdQuota, boolean promotion) {
    String yaml =
        "levels:\n"
            + levelYaml("MEM", dir.resolve("mem"), memQuota, "0.8", "0.5")
            + levelYaml("SSD", dir.resolve("ssd"), ssdQuota, "0.9", "0.7");
    return CacheInvariants.open(
        TieredBlockCache.builder(TieredStoreConfig.parse(yaml)).blockSize(BS).promotion(promotion));
  }

  /**
   * Size of the file holding one full block of a key made by {@link TestBlocks#key} with a 6-char
   * name.
   */
  private long fileSize(TieredBlockCache c, BlockKey k) throws IOException {
    return Files.size(c.fileOf(k));
  }

  @Test
  void missLoadsOnceThenHitsServeTheRightBytes() throws IOException {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 3);
    readAndCheck(c, k, o, BS, false);
    readAndCheck(c, k, o, BS, true);
    readAndCheck(c, k, o, BS, true);
    assertEquals(1, o.loadsOf(k));
    CacheStats s = c.stats();
    assertEquals(2, s.hits());
    assertEquals(1, s.misses());
    assertEquals(BS, s.bytesLoaded());
    assertEquals(1, s.levels().get(0).blocks());
    assertEquals(s.levels().get(0).usedBytes(), fileSize(c, k));
    assertTrue(fileSize(c, k) > BS, "file = header + data");
  }

  @Test
  void partialReadsAtAnyOffsetIntoHeapAndDirectBuffers() throws IOException {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 0);
    int[][] cases = {
      {0, 10}, {70_000, 1000}, {65_530, 20}, {1, BS - 1}, {BS - 5, 100}, {100_000, 65_536 * 2 + 7}
    };
    for (boolean direct : new boolean[] {false, true}) {
      for (int[] cse : cases) {
        int off = cse[0], len = cse[1];
        ByteBuffer dst = direct ? ByteBuffer.allocateDirect(len + 8) : ByteBuffer.allocate(len + 8);
        dst.position(3).limit(3 + len);
        int n = c.read(k, off, dst, o);
        int want = Math.min(len, BS - off);
        assertEquals(want, n, "off " + off);
        assertEquals(3 + want, dst.position());
        for (int i = 0; i < n; i++)
          assertEquals(expected(k, off + i), dst.get(3 + i), "byte " + (off + i));
      }
    }
    assertEquals(0, c.read(k, BS, ByteBuffer.allocate(10), o), "at the block end");
    assertEquals(0, c.read(k, BS + 10, ByteBuffer.allocate(10), o), "past the block end");
    assertEquals(1, o.loadsOf(k));
  }

  @Test
  void readIfCachedServesCachedBlocksAndNeverLoads() throws IOException {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 1);
    assertEquals(-1, c.readIfCached(k, 0, ByteBuffer.allocate(100)), "not cached");
    assertEquals(0, o.loadsOf(k));
    c.read(k, 0, ByteBuffer.allocate(BS), o);
    for (int round = 0; round < 2; round++) { // from the load buffer, then from the block file
      ByteBuffer dst = ByteBuffer.allocate(1000);
      assertEquals(1000, c.readIfCached(k, 70_000, dst));
      for (int i = 0; i < 1000; i++)
        assertEquals(TestBlocks.expected(k, 70_000 + i), dst.get(i), "byte " + i);
    }
    assertEquals(0, c.readIfCached(k, BS, ByteBuffer.allocate(10)), "at the block end");
    assertEquals(1, o.loadsOf(k));
    assertEquals(3, c.stats().hits());
  }

  @Test
  void shortLastBlock() throws IOException {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    o.objectSize = 2L * BS + 12_345;
    BlockKey last = key("obj-01", 2);
    readAndCheck(c, last, o, 12_345, true);
    readAndCheck(c, last, o, 12_345, false);
    assertEquals(0, c.read(last, 12_345, ByteBuffer.allocate(10), o));
    assertEquals(1, o.loadsOf(last));
  }

  @Test
  void blockFilesAreTheOwnersAloneAndNoWriteIsLeftBehind() throws IOException {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    for (int i = 0; i < 3; i++) readAndCheck(c, key("obj-01", i), o, BS, false);
    for (int i = 0; i < 3; i++) {
      Path f = c.fileOf(key("obj-01", i));
      assertEquals( // cached object data: no other user of the node reads it
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(f)),
          f.toString());
    }
    try (var tmp = Files.list(dir.resolve("mem").resolve(Levels.DIR_NAME).resolve("tmp"))) {
      assertEquals(List.of(), tmp.toList(), "blocks being written");
    }
  }

  @Test
  void loaderFailurePropagatesAndCachesNothing() throws IOException {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    IOException boom = new IOException("origin said no");
    o.failWith = boom;
    BlockKey k = key("obj-01", 0);
    assertSame(
        boom, assertThrows(IOException.class, () -> c.read(k, 0, ByteBuffer.allocate(BS), o)));
    assertEquals(1, c.stats().loadErrors());
    assertEquals(0, c.stats().blocks());
    assertNull(c.fileOf(k));
    o.failWith = null;
    readAndCheck(c, k, o, BS, false);
    assertEquals(2, o.loadsOf(k));
    // a loader that returns more than a block is refused, not cached
    BlockLoader tooBig = key2 -> ByteBuffer.allocate(BS + 1);
    assertThrows(
        IOException.class, () -> c.read(key("obj-02", 0), 0, ByteBuffer.allocate(BS), tooBig));
    assertNull(c.fileOf(key("obj-02", 0)));
  }

  @Test
  void aFlippedByteIsDetectedEvenOutsideTheReadRangeAndRefetched() throws IOException {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 0);
    readAndCheck(c, k, o, BS, false);
    Path f = c.fileOf(k);
    int headerLen = (int) (Files.size(f) - BS);
    // flip a byte in chunk 1 (data offsets 65536..131071) that the next read does not return
    flip(f, headerLen + 65_536 + 10);
    ByteBuffer dst = ByteBuffer.allocate(1000);
    assertEquals(1000, c.read(k, 70_000, dst, o));
    for (int i = 0; i < 1000; i++) assertEquals(expected(k, 70_000 + i), dst.get(i));
    assertEquals(2, o.loadsOf(k), "damaged block dropped and fetched again");
    assertEquals(1, c.stats().corruptBlocks());
    // the re-fetched copy is sound
    readAndCheck(c, k, o, BS, true);
    assertEquals(2, o.loadsOf(k));
    // a damaged header (the object key) is caught too
    flip(c.fileOf(k), BlockHeader.FIXED + 8);
    readAndCheck(c, k, o, BS, true);
    assertEquals(3, o.loadsOf(k));
    assertEquals(2, c.stats().corruptBlocks());
  }

  @Test
  void aChunkIsCheckedOncePerOpenFileAndAgainAfterTheFileIsReopened() throws IOException {
    String yaml = "levels:\n" + levelYaml("MEM", dir.resolve("mem"), "16Mi", "0.8", "0.5");
    // one open file at a time: reading another block closes the first one's
    TieredBlockCache c =
        CacheInvariants.open(
            TieredBlockCache.builder(TieredStoreConfig.parse(yaml))
                .blockSize(BS)
                .maxOpenHandles(1));
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 0), other = key("obj-02", 0);
    readAndCheck(c, k, o, BS, false); // loaded: served from memory, the file not opened yet
    ByteBuffer dst = ByteBuffer.allocate(1000);
    assertEquals(1000, c.read(k, 0, dst, o)); // opens the file, checks chunk 0 only
    Path f = c.fileOf(k);
    int headerLen = (int) (Files.size(f) - BS);
    // a chunk not checked yet through the open file is checked at its first read
    flip(f, headerLen + 2 * 65_536 + 5);
    assertEquals(100, c.read(k, 2 * 65_536, ByteBuffer.allocate(100), o));
    assertEquals(2, o.loadsOf(k));
    assertEquals(1, c.stats().corruptBlocks());
    // the re-fetched copy: read (once from memory, where its load left it, then) through its file,
    // every chunk checked once
    readAndCheck(c, k, o, BS, true);
    readAndCheck(c, k, o, BS, true);
    assertEquals(2, o.loadsOf(k));
    // damage after the check is not looked for again while the file stays open
    f = c.fileOf(k);
    flip(f, headerLen + 65_536 + 5000);
    assertEquals(100, c.read(k, 65_536, ByteBuffer.allocate(100), o));
    assertEquals(2, o.loadsOf(k));
    assertEquals(1, c.stats().corruptBlocks());
    // reading another block's file closes this one; reopened, its header and chunks are checked
    // again
    readAndCheck(c, other, o, BS, false);
    readAndCheck(c, other, o, BS, false);
    dst = ByteBuffer.allocate(100);
    assertEquals(100, c.read(k, 65_536, dst, o));
    for (int i = 0; i < 100; i++) assertEquals(expected(k, 65_536 + i), dst.get(i));
    assertEquals(3, o.loadsOf(k), "damage found after the reopen: dropped and fetched again");
    assertEquals(2, c.stats().corruptBlocks());
  }

  @Test
  void readersWhoseOpenFileIsClosedUnderThemStillHitTheCache() throws Exception {
    String yaml = "levels:\n" + levelYaml("MEM", dir.resolve("mem"), "16Mi", "0.8", "0.5");
    // more blocks read at once than open files allowed: handles are closed while others read them
    TieredBlockCache c =
        CacheInvariants.open(
            TieredBlockCache.builder(TieredStoreConfig.parse(yaml))
                .blockSize(BS)
                .maxOpenHandles(1));
    TestBlocks o = new TestBlocks(BS);
    List<BlockKey> keys = new ArrayList<>();
    for (int i = 0; i < 6; i++) keys.add(key("obj-0" + i, 0));
    for (BlockKey k : keys) readAndCheck(c, k, o, BS, false);
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < 4; t++) {
      java.util.Random rnd = new java.util.Random(t);
      threads.add(
          new Thread(
              () -> {
                try {
                  ByteBuffer dst = ByteBuffer.allocate(4096);
                  for (int i = 0; i < 3000; i++) {
                    BlockKey k = keys.get(rnd.nextInt(keys.size()));
                    int off = rnd.nextInt(BS / 4096) * 4096;
                    assertEquals(4096, c.read(k, off, dst.clear(), o));
                    assertEquals(expected(k, off + 17), dst.get(17));
                  }
                } catch (Throwable e) {
                  failures.add(e);
                }
              }));
    }
    for (Thread t : threads) t.start();
    for (Thread t : threads) t.join();
    assertTrue(failures.isEmpty(), () -> "reader failed: " + failures.get(0));
    for (BlockKey k : keys) assertEquals(1, o.loadsOf(k), "a hit turned into a load: " + k);
    assertEquals(0, c.stats().corruptBlocks());
    assertEquals(0, c.stats().ioErrors());
  }

  @Test
  void aTruncatedBlockIsNeverServed() throws IOException {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 0);
    readAndCheck(c, k, o, BS, false);
    try (FileChannel ch = FileChannel.open(c.fileOf(k), StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() / 2);
    }
    // even a read of bytes that are still there must not be served from a torn file
    ByteBuffer dst = ByteBuffer.allocate(100);
    assertEquals(100, c.read(k, 0, dst, o));
    for (int i = 0; i < 100; i++) assertEquals(expected(k, i), dst.get(i));
    assertEquals(2, o.loadsOf(k));
  }

  static void flip(Path f, long at) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, at);
      b.put(0, (byte) (b.get(0) ^ 0x40)).position(0);
      ch.write(b, at);
    }
  }

  @Test
  void anotherEtagIsAnotherBlockAndInvalidateDropsAnObject() throws IOException {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    BlockKey v1 = new BlockKey("bucket", "obj-01", "etag-1", 0);
    BlockKey v1b = new BlockKey("bucket", "obj-01", "etag-1", 1);
    BlockKey v2 = new BlockKey("bucket", "obj-01", "etag-2", 0);
    BlockKey other = new BlockKey("bucket", "obj-02", "etag-1", 0);
    readAndCheck(c, v1, o, BS, false);
    readAndCheck(c, v1b, o, BS, false);
    readAndCheck(c, other, o, BS, false);
    readAndCheck(c, v2, o, BS, false);
    assertEquals(1, o.loadsOf(v2), "etag-1 bytes were not served for etag-2");
    assertNull(c.fileOf(v1), "the first block of a new ETag drops the old ETag's blocks");
    assertNull(c.fileOf(v1b));
    // a reader still on the old version caches its block without dropping the new one
    readAndCheck(c, v1, o, BS, false);
    assertEquals(0, c.levelOf(v2));
    assertEquals(0, c.levelOf(v1));
    assertEquals(1, c.invalidateOtherVersions("bucket", "obj-01", "etag-2"));
    assertNull(c.fileOf(v1));
    readAndCheck(c, v2, o, BS, false);
    assertEquals(1, o.loadsOf(v2));
    assertEquals(1, c.invalidate("bucket", "obj-01"));
    assertNull(c.fileOf(v2));
    assertEquals(1, c.stats().blocks());
    readAndCheck(c, other, o, BS, false);
    assertEquals(1, o.loadsOf(other));
  }

  @Test
  void watermarksEvictFromMemIntoSsdAndNothingIsLost() throws IOException {
    TieredBlockCache c = memSsd("2560Ki", "64Mi", false); // MEM holds 9 block files (high 0.8 → 8)
    TestBlocks o = new TestBlocks(BS);
    long memQuota = 2560 * 1024;
    long lastEvictions = 0;
    List<BlockKey> keys = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      BlockKey k = key("obj-01", i);
      keys.add(k);
      readAndCheck(c, k, o, BS, false);
      LevelStats mem = c.stats().levels().get(0);
      assertTrue(
          mem.usedBytes() <= memQuota * 0.8, "after a write MEM usage is under high: " + mem);
      if (mem.evictions() > lastEvictions) {
        assertTrue(
            mem.usedBytes() <= memQuota * 0.5,
            "after an eviction MEM usage is at or under low: " + mem);
        lastEvictions = mem.evictions();
      }
    }
    CacheStats s = c.stats();
    assertTrue(s.evictions() > 0);
    assertEquals(s.evictions(), s.demotions(), "every MEM eviction went to SSD");
    assertEquals(30, s.blocks());
    for (BlockKey k : keys) {
      assertTrue(c.levelOf(k) >= 0);
      readAndCheck(c, k, o, BS, true);
      assertEquals(1, o.loadsOf(k), "no block lost between levels");
    }
    assertEquals(1, c.levelOf(keys.get(0)), "the oldest went down");
    assertEquals(0, c.levelOf(keys.get(29)), "the newest is on top");
  }

  @Test
  void aHitBelowIsPromotedToTheTop() throws Exception {
    TieredBlockCache c = memSsd("2560Ki", "64Mi", true);
    TestBlocks o = new TestBlocks(BS);
    for (int i = 0; i < 12; i++) readAndCheck(c, key("obj-01", i), o, BS, false);
    BlockKey old = key("obj-01", 0);
    assertEquals(1, c.levelOf(old));
    readAndCheck(c, old, o, BS, true);
    c.awaitBackground();
    assertEquals(0, c.levelOf(old));
    assertEquals(1, c.stats().promotions());
    readAndCheck(c, old, o, BS, true);
    assertEquals(1, o.loadsOf(old));
  }

  @Test
  void withoutPromotionAHitBelowStaysThere() throws Exception {
    TieredBlockCache c = memSsd("2560Ki", "64Mi", false);
    TestBlocks o = new TestBlocks(BS);
    for (int i = 0; i < 12; i++) readAndCheck(c, key("obj-01", i), o, BS, false);
    BlockKey old = key("obj-01", 0);
    readAndCheck(c, old, o, BS, true);
    c.awaitBackground();
    assertEquals(1, c.levelOf(old));
    assertEquals(0, c.stats().promotions());
    assertEquals(1, c.stats().levels().get(1).hits());
  }

  @Test
  void theLastLevelDeletesLeastRecentlyUsedFirst() throws Exception {
    String yaml = "levels:\n" + levelYaml("SSD", dir.resolve("ssd"), "1Mi", "1", "0.75");
    TieredBlockCache c =
        CacheInvariants.open(TieredBlockCache.builder(TieredStoreConfig.parse(yaml)).blockSize(BS));
    TestBlocks o = new TestBlocks(BS);
    // 1 MiB holds 3 block files (each a little over 256 KiB)
    BlockKey a = key("obj-01", 0), b = key("obj-01", 1), d = key("obj-01", 2), e = key("obj-01", 3);
    readAndCheck(c, a, o, BS, false);
    readAndCheck(c, b, o, BS, false);
    readAndCheck(c, d, o, BS, false);
    readAndCheck(c, a, o, BS, false); // a is now the most recent
    assertEquals(
        List.of(BlockId.of(b, BS), BlockId.of(d, BS), BlockId.of(a, BS)), c.lruOrder(0, 0));
    Path bFile = c.fileOf(b);
    readAndCheck(c, e, o, BS, false); // needs room: b goes (and d, to get under 0.75)
    assertEquals(List.of(BlockId.of(a, BS), BlockId.of(e, BS)), c.lruOrder(0, 0));
    assertFalse(Files.exists(bFile));
    assertEquals(2, c.stats().evictions());
    assertEquals(0, c.stats().demotions());
    readAndCheck(c, b, o, BS, false);
    assertEquals(2, o.loadsOf(b));
    assertEquals(1, o.loadsOf(a));
  }

  @Test
  void prefetchLoadsInTheBackgroundAndAReadJoinsIt() throws Exception {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 5);
    c.prefetch(k, o);
    c.awaitBackground();
    assertEquals(0, c.levelOf(k));
    readAndCheck(c, k, o, BS, false);
    assertEquals(1, o.loadsOf(k));
    c.prefetch(k, o); // cached: nothing to do
    o.started = new CountDownLatch(1);
    o.release = new CountDownLatch(1);
    BlockKey slow = key("obj-01", 6);
    c.prefetch(slow, o);
    assertTrue(o.started.await(30, TimeUnit.SECONDS), "the prefetch is loading");
    AtomicReference<Thread> reader = new AtomicReference<>();
    ExecutorService readers =
        Executors.newSingleThreadExecutor(
            r -> {
              reader.set(new Thread(r, "reader"));
              return reader.get();
            });
    try {
      Future<?> read =
          readers.submit(
              () -> {
                readAndCheck(c, slow, o, BS, true); // joins the prefetch in flight
                return null;
              });
      Blocked.awaitInCache(reader.get(), Duration.ofSeconds(30));
      o.release.countDown();
      read.get(30, TimeUnit.SECONDS);
    } finally {
      o.release.countDown();
      readers.shutdownNow();
    }
    o.release = null;
    assertEquals(1, o.loadsOf(slow));
    assertEquals(1, c.stats().coalesced());
    o.failWith = new IOException("down");
    c.prefetch(key("obj-01", 7), o); // a failing prefetch is silent
    c.awaitBackground();
    assertEquals(1, c.stats().loadErrors());
    assertNull(c.fileOf(key("obj-01", 7)));
  }

  @Test
  void anInterruptedReaderFailsAloneAndTheBlockStaysCached() throws Exception {
    TieredBlockCache c = memSsd("16Mi", "16Mi", true);
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 0);
    readAndCheck(c, k, o, BS, false); // cached, and its file handle is now shared
    readAndCheck(c, k, o, BS, false);
    Thread.currentThread().interrupt();
    try {
      assertThrows(
          java.io.InterruptedIOException.class, () -> c.read(k, 0, ByteBuffer.allocate(100), o));
    } finally {
      Thread.interrupted();
    }
    readAndCheck(c, k, o, BS, true); // the shared channel the interrupt closed is replaced
    assertEquals(1, o.loadsOf(k));
    assertEquals(0, c.stats().corruptBlocks());
    assertEquals(0, c.stats().ioErrors());
  }

  @Test
  void directCacheStoresNothing() throws IOException {
    BlockCache c = BlockCache.direct(BS);
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 0);
    readAndCheck(c, k, o, BS, false);
    readAndCheck(c, k, o, BS, true);
    assertEquals(2, o.loadsOf(k));
    assertEquals(2, c.stats().misses());
    assertEquals(2L * BS, c.stats().bytesLoaded());
  }
}
