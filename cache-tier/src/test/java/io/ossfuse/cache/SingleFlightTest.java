package io.ossfuse.cache;

import static io.ossfuse.cache.TestBlocks.expected;
import static io.ossfuse.cache.TestBlocks.key;
import static io.ossfuse.cache.TestBlocks.levelYaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(CacheInvariants.class)
class SingleFlightTest {
  static final int BS = 64 * 1024;
  static final int THREADS = 32;

  @TempDir Path dir;

  private TieredBlockCache cache(String quota) {
    String yaml = "levels:\n" + levelYaml("MEM", dir.resolve("mem"), quota, "0.95", "0.8");
    return CacheInvariants.open(
        TieredBlockCache.builder(TieredStoreConfig.parse(yaml)).blockSize(BS));
  }

  @Test
  void thirtyTwoConcurrentMissesOfOneBlockLoadItOnce() throws Exception {
    TieredBlockCache c = cache("16Mi");
    TestBlocks o = new TestBlocks(BS);
    o.delayMillis = 200; // every thread arrives while the load is in flight
    BlockKey k = key("obj-01", 0);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int off = t * 1000;
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  ByteBuffer dst = ByteBuffer.allocateDirect(4096);
                  int n = c.read(k, off, dst, o);
                  for (int i = 0; i < n; i++) {
                    if (dst.get(i) != expected(k, off + i))
                      throw new AssertionError("wrong byte at " + (off + i));
                  }
                  return n;
                }));
      }
      go.countDown();
      for (Future<Integer> f : results) assertEquals(4096, f.get(10, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, o.loadsOf(k), "one loader call for 32 concurrent misses");
    assertEquals(BS, o.bytes.get());
    CacheStats s = c.stats();
    assertEquals(1, s.misses());
    assertEquals(THREADS - 1, s.coalesced() + s.hits());
  }

  @Test
  void thirtyTwoSequentialReadersOfOneColdObjectFetchItOnce() throws Exception {
    TieredBlockCache c = cache("64Mi");
    TestBlocks o = new TestBlocks(BS);
    int blocks = 64;
    o.objectSize = (long) blocks * BS - 1000;
    o.delayMillis = 2;
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<Long>> results = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        results.add(
            pool.submit(
                () -> {
                  long total = 0;
                  ByteBuffer dst = ByteBuffer.allocate(128 * 1024);
                  for (long pos = 0; pos < o.objectSize; ) {
                    BlockKey k = key("obj-01", pos / BS);
                    int off = (int) (pos % BS);
                    dst.clear().limit(Math.min(32 * 1024, BS - off));
                    int n = c.read(k, off, dst, o);
                    if (n == 0) throw new AssertionError("no progress at " + pos);
                    for (int i = 0; i < n; i++) {
                      if (dst.get(i) != expected(k, off + i))
                        throw new AssertionError("wrong byte at " + (pos + i));
                    }
                    pos += n;
                    total += n;
                  }
                  return total;
                }));
      }
      for (Future<Long> f : results) assertEquals(o.objectSize, f.get(60, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
    double ratio = (double) o.bytes.get() / o.objectSize;
    assertEquals(1.0, ratio, 1e-9, "bytes fetched / object size");
    assertTrue(ratio <= 1.05);
  }

  @Test
  void waitersSeeTheLoadersFailureAndNothingIsCached() throws Exception {
    TieredBlockCache c = cache("16Mi");
    TestBlocks o = new TestBlocks(BS);
    o.delayMillis = 200;
    IOException boom = new IOException("origin down");
    o.failWith = boom;
    BlockKey k = key("obj-01", 0);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++)
        results.add(pool.submit(() -> c.read(k, 0, ByteBuffer.allocate(10), o)));
      for (Future<Integer> f : results) {
        Throwable e =
            assertThrows(
                    java.util.concurrent.ExecutionException.class,
                    () -> f.get(10, TimeUnit.SECONDS))
                .getCause();
        assertSame(boom, e);
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(o.loadsOf(k) < 8, "failures are shared too: " + o.loadsOf(k));
    assertEquals(0, c.stats().blocks());
  }
}
