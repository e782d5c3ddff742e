package io.ossfuse.cache;

import static io.ossfuse.cache.TestBlocks.expected;
import static io.ossfuse.cache.TestBlocks.key;
import static io.ossfuse.cache.TestBlocks.readAndCheck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Randomized checks of the cache invariants; each seed is a different configuration and workload.
 */
@ExtendWith(CacheInvariants.class)
class PropertyTest {
  static final int BS = 16 * 1024;

  @TempDir Path dir;

  private static String level(String type, String paths, String quotas, double high, double low) {
    return String.format(
        Locale.ROOT,
        "    - {mediumtype: %s, path: \"%s\", quotaList: \"%s\", high: \"%.2f\", low: \"%.2f\"}%n",
        type,
        paths,
        quotas,
        high,
        low);
  }

  private TieredStoreConfig randomConfig(Random r, boolean promotion) {
    double[] w = new double[6];
    for (int i = 0; i < 3; i++) {
      double a = 0.3 + r.nextDouble() * 0.7, b = 0.3 + r.nextDouble() * 0.7;
      w[2 * i] = Math.max(a, b);
      w[2 * i + 1] = Math.min(a, b);
    }
    int kib = BS / 1024 + 1; // a block file is a little over one block
    String yaml =
        "tieredstore:\n  levels:\n"
            + level(
                "HDD",
                dir.resolve("hdd1") + "," + dir.resolve("hdd2"),
                (kib * (8 + r.nextInt(30))) + "Ki," + (kib * (8 + r.nextInt(30))) + "Ki",
                w[4],
                w[5])
            + level(
                "MEM",
                dir.resolve("mem").toString(),
                (kib * (3 + r.nextInt(10))) + "Ki",
                w[0],
                w[1])
            + level(
                "SSD",
                dir.resolve("ssd").toString(),
                (kib * (5 + r.nextInt(20))) + "Ki",
                w[2],
                w[3]);
    return TieredStoreConfig.parse(yaml).withBlockSize(BS).withPromotion(promotion);
  }

  /**
   * Many threads read, prefetch and invalidate at random while a monitor checks, continuously, that
   * no store's bytes (written + reserved) ever exceed its quota. Every byte read must be right.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4})
  void concurrentRandomWorkloadNeverExceedsAQuota(long seed) throws Exception {
    Random r = new Random(seed);
    TieredBlockCache c =
        CacheInvariants.open(TieredBlockCache.builder(randomConfig(r, seed % 2 == 0)));
    TestBlocks o = new TestBlocks(BS);
    o.objectSize = 40L * BS - 777; // objects of 40 blocks, the last one short
    AtomicBoolean done = new AtomicBoolean();
    AtomicReference<String> violation = new AtomicReference<>();
    Thread monitor =
        new Thread(
            () -> {
              while (!done.get() && violation.get() == null) {
                for (Store s : c.allStores()) {
                  Store.Snapshot sn = s.snapshot(false);
                  if (sn.used() + sn.reserved() > sn.quota()) {
                    violation.compareAndSet(
                        null,
                        s.type
                            + " "
                            + s.root
                            + ": used "
                            + sn.used()
                            + " + reserved "
                            + sn.reserved()
                            + " > quota "
                            + sn.quota());
                  }
                }
                java.util.concurrent.locks.LockSupport.parkNanos(100_000);
              }
            });
    monitor.start();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        long threadSeed = r.nextLong();
        fs.add(
            pool.submit(
                () -> {
                  Random tr = new Random(threadSeed);
                  ByteBuffer dst = ByteBuffer.allocateDirect(BS);
                  for (int op = 0; op < 300; op++) {
                    String obj =
                        "obj-"
                            + String.format(
                                Locale.ROOT, "%02d", (int) Math.abs(tr.nextGaussian() * 4) % 20);
                    int idx = tr.nextInt(40);
                    BlockKey k = key(obj, idx);
                    int p = tr.nextInt(100);
                    if (p < 3) {
                      c.invalidate("bucket", obj);
                    } else if (p < 10) {
                      c.prefetch(k, o);
                    } else {
                      int len = o.lengthOf(k);
                      int off = tr.nextInt(len);
                      dst.clear().limit(1 + tr.nextInt(BS));
                      int n = c.read(k, off, dst, o);
                      if (n != Math.min(dst.limit(), len - off))
                        throw new AssertionError("short read of " + k);
                      for (int i = 0; i < n; i++) {
                        if (dst.get(i) != expected(k, off + i))
                          throw new AssertionError("wrong byte " + (off + i) + " of " + k);
                      }
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) f.get(120, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
      done.set(true);
      monitor.join();
    }
    assertNull(violation.get());
    c.awaitBackground();
    for (Store s : c.allStores()) {
      Store.Snapshot sn = s.snapshot(false);
      assertTrue(sn.used() <= sn.quota() * s.high + 1e-6, s.type + " at rest above high: " + sn);
    }
    CacheStats st = c.stats();
    assertTrue(st.evictions() > 0, "the workload is larger than the cache: " + st);
    assertEquals(0, st.corruptBlocks());
    assertEquals(0, st.ioErrors());
  }

  /**
   * One thread, three levels, promotion off: after every read each store is under quota*high, the
   * top level is at or under quota*low right after it evicted, and no block is lost between levels:
   * the blocks held equal the blocks loaded minus those deleted (evicted but not demoted).
   */
  @ParameterizedTest
  @ValueSource(longs = {11, 12, 13, 14, 15})
  void noBlockIsLostBetweenLevels(long seed) throws Exception {
    Random r = new Random(seed);
    TieredBlockCache c = CacheInvariants.open(TieredBlockCache.builder(randomConfig(r, false)));
    TestBlocks o = new TestBlocks(BS);
    Store top = c.allStores().get(0);
    long topEvictions = 0;
    for (int op = 0; op < 400; op++) {
      BlockKey k = key("obj-" + String.format(Locale.ROOT, "%02d", r.nextInt(5)), r.nextInt(30));
      int before = o.loadsOf(k);
      int level = c.levelOf(k);
      readAndCheck(c, k, o, BS, op % 2 == 0);
      assertEquals(
          level < 0 ? before + 1 : before,
          o.loadsOf(k),
          "a cached block is served without loading");
      CacheStats s = c.stats();
      assertEquals(
          s.misses() - (s.evictions() - s.demotions()), s.blocks(), "blocks = loaded - deleted");
      for (Store st : c.allStores()) {
        Store.Snapshot sn = st.snapshot(false);
        assertTrue(
            sn.used() <= sn.quota() * st.high, st.type + " above high after op " + op + ": " + sn);
        assertEquals(0, sn.reserved());
      }
      if (top.evictions.sum() > topEvictions) {
        topEvictions = top.evictions.sum();
        Store.Snapshot sn = top.snapshot(false);
        assertTrue(
            sn.used() <= sn.quota() * top.low + 1e-6,
            "top level above low right after evicting: " + sn);
      }
    }
    assertTrue(c.stats().demotions() > 0);
    c.checkInvariants();
  }

  /**
   * One level, equal-size blocks: the cache's LRU order and evictions match a reference model
   * exactly.
   */
  @ParameterizedTest
  @ValueSource(longs = {21, 22, 23})
  void lruOrderMatchesAModel(long seed) throws Exception {
    Random r = new Random(seed);
    int capacityBlocks = 4 + r.nextInt(12);
    double high = 0.5 + r.nextDouble() * 0.5, low = 0.3 + r.nextDouble() * (high - 0.3);
    long fileSize;
    {
      // measure one block file (all keys below have the same length, so the same header size)
      TieredBlockCache probe =
          TieredBlockCache.builder(
                  TieredStoreConfig.parse(
                          "levels:\n"
                              + TestBlocks.levelYaml("SSD", dir.resolve("probe"), "1Mi", "1", "1"))
                      .withBlockSize(BS))
              .build();
      try (probe) {
        readAndCheck(probe, key("obj-00", 0), new TestBlocks(BS), BS, false);
        fileSize = Files.size(probe.fileOf(key("obj-00", 0)));
      }
    }
    long quota = capacityBlocks * fileSize;
    TieredBlockCache c =
        CacheInvariants.open(
            TieredBlockCache.builder(
                TieredStoreConfig.parse(
                        "levels:\n"
                            + String.format(
                                Locale.ROOT,
                                "    - {mediumtype: SSD, path: \"%s\", quota: %d, high: %.4f, low: %.4f}%n",
                                dir.resolve("ssd"),
                                quota,
                                high,
                                low))
                    .withBlockSize(BS)));
    TestBlocks o = new TestBlocks(BS);
    LinkedHashMap<BlockId, Boolean> model = new LinkedHashMap<>(16, 0.75f, true);
    for (int op = 0; op < 300; op++) {
      BlockKey k = key("obj-0" + r.nextInt(3), r.nextInt(10));
      BlockId id = BlockId.of(k, BS);
      if (model.containsKey(id)) {
        model.get(id);
      } else {
        long effective = (model.size() + 1L) * fileSize;
        if (effective >= quota * high) {
          var it = model.keySet().iterator();
          while (effective > quota * low && it.hasNext()) {
            it.next();
            it.remove();
            effective -= fileSize;
          }
        }
        model.put(id, true);
      }
      readAndCheck(c, k, o, BS, false);
      assertEquals(List.copyOf(model.keySet()), c.lruOrder(0, 0), "after op " + op);
    }
  }
}
