package io.ossfuse.cache;

import static io.ossfuse.cache.TestBlocks.expected;
import static io.ossfuse.cache.TestBlocks.key;
import static io.ossfuse.cache.TestBlocks.levelYaml;
import static io.ossfuse.cache.TestBlocks.readAndCheck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Blocks loaded into pooled buffers and served from memory until read ("hot"). */
@ExtendWith(CacheInvariants.class)
class HotBlocksTest {
  static final int BS = 256 * 1024;

  @TempDir Path dir;

  private TieredBlockCache cache(String quota, int threads) {
    String yaml = "levels:\n" + levelYaml("MEM", dir.resolve("mem"), quota, "0.9", "0.8");
    return CacheInvariants.open(
        TieredBlockCache.builder(TieredStoreConfig.parse(yaml))
            .blockSize(BS)
            .backgroundThreads(threads, 64));
  }

  @Test
  void aPrefetchedBlockIsServedFromMemoryThenReleased() throws Exception {
    TieredBlockCache c = cache("16Mi", 2);
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 0);
    c.prefetch(k, o);
    c.awaitBackground();
    assertEquals(1, c.hotBlocks());
    // the file is damaged, but the first reader gets the bytes just loaded, not the file
    Path f = c.fileOf(k);
    TieredBlockCacheTest.flip(f, Files.size(f) - 5);
    ByteBuffer dst = ByteBuffer.allocateDirect(BS);
    assertEquals(BS / 2, c.read(k, 0, dst.limit(BS / 2), o));
    assertEquals(BS / 2, c.read(k, BS / 2, dst.limit(BS), o));
    for (int i = 0; i < BS; i++) assertEquals(expected(k, i), dst.get(i), "byte " + i);
    assertEquals(1, o.loadsOf(k));
    assertEquals(0, c.hotBlocks(), "read to its end: the buffer went back");
    assertEquals(2, c.stats().levels().get(0).hits());
    // the next read goes to the file, finds the damage and fetches again
    readAndCheck(c, k, o, BS, false);
    assertEquals(2, o.loadsOf(k));
    assertEquals(1, c.stats().corruptBlocks());
  }

  @Test
  void invalidationDropsHotBlocks() throws Exception {
    TieredBlockCache c = cache("16Mi", 2);
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 0);
    c.prefetch(k, o);
    c.awaitBackground();
    assertEquals(1, c.hotBlocks());
    assertEquals(1, c.invalidate("bucket", "obj-01"));
    assertEquals(0, c.hotBlocks());
    readAndCheck(c, k, o, BS, true);
    assertEquals(2, o.loadsOf(k));
  }

  @Test
  void anEvictedHotBlockIsNotServed() throws Exception {
    // room for 3 block files: the 4th prefetch evicts the first even though it is still hot
    TieredBlockCache c = cache("1Mi", 1);
    TestBlocks o = new TestBlocks(BS);
    for (int i = 0; i < 4; i++) {
      c.prefetch(key("obj-01", i), o);
      c.awaitBackground();
    }
    assertEquals(-1, c.levelOf(key("obj-01", 0)));
    readAndCheck(c, key("obj-01", 0), o, BS, false);
    assertEquals(2, o.loadsOf(key("obj-01", 0)), "evicted: loaded again, not served from memory");
  }

  @Test
  void morePrefetchesThanBuffersRecycleTheOldestAndServeEveryByte() throws Exception {
    TieredBlockCache c = cache("64Mi", 1); // a pool of 2 * 1 + 8 = 10 buffers
    TestBlocks o = new TestBlocks(BS);
    int n = 40;
    for (int i = 0; i < n; i++) {
      c.prefetch(key("obj-02", i), o);
      c.awaitBackground();
    }
    assertTrue(c.pooledBuffers() <= 10, c.pooledBuffers() + " buffers");
    assertTrue(c.hotBlocks() <= 10, c.hotBlocks() + " hot blocks");
    for (int i = 0; i < n; i++) {
      readAndCheck(c, key("obj-02", i), o, BS, i % 2 == 0);
      assertEquals(1, o.loadsOf(key("obj-02", i)));
    }
    assertEquals(0, c.hotBlocks());
    assertEquals(n, c.stats().levels().get(0).hits());
  }

  @Test
  void concurrentReadersOfLoadingBlocksGetTheRightBytes() throws Exception {
    TieredBlockCache c =
        cache("8Mi", 4); // evicts while loading: buffers are recycled under readers
    TestBlocks o = new TestBlocks(BS);
    o.delayMillis = 1;
    Thread[] ts = new Thread[8];
    Throwable[] failed = new Throwable[1];
    for (int t = 0; t < ts.length; t++) {
      int seed = t;
      ts[t] =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < 200; i++) {
                    int b = (i * 7 + seed * 3) % 60;
                    c.prefetch(key("obj-03", (b + 1) % 60), o);
                    readAndCheck(c, key("obj-03", b), o, BS, (i + seed) % 2 == 0);
                  }
                } catch (Throwable e) {
                  synchronized (failed) {
                    failed[0] = e;
                  }
                }
              });
      ts[t].start();
    }
    for (Thread t : ts) t.join();
    if (failed[0] != null) throw new AssertionError(failed[0]);
    c.awaitBackground();
    assertTrue(c.pooledBuffers() <= 2 * 4 + 8, c.pooledBuffers() + " buffers");
  }

  @Test
  void moreConcurrentMissesThanBuffersWaitForOneInsteadOfAllocating() throws Exception {
    TieredBlockCache c = cache("64Mi", 1); // a pool of 10 buffers
    TestBlocks o = new TestBlocks(BS);
    o.delayMillis = 100;
    Thread[] ts = new Thread[24];
    Throwable[] failed = new Throwable[1];
    for (int t = 0; t < ts.length; t++) {
      int b = t;
      ts[t] =
          new Thread(
              () -> {
                try {
                  readAndCheck(c, key("obj-04", b), o, BS, false);
                } catch (Throwable e) {
                  synchronized (failed) {
                    failed[0] = e;
                  }
                }
              });
      ts[t].start();
    }
    for (Thread t : ts) t.join();
    if (failed[0] != null) throw new AssertionError(failed[0]);
    assertEquals(0, o.unpooled.get(), "every load filled a pooled buffer");
    assertEquals(10, c.pooledBuffers());
  }
}
