package io.ossfuse.cache;

import static io.ossfuse.cache.TestBlocks.key;
import static io.ossfuse.cache.TestBlocks.levelYaml;
import static io.ossfuse.cache.TestBlocks.readAndCheck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Readahead of consecutive blocks with one loader request per run (one ranged GET). */
@ExtendWith(CacheInvariants.class)
class RunPrefetchTest {
  static final int BS = 256 * 1024;

  @TempDir Path dir;

  /** Serves runs block by block from {@link TestBlocks}; single-block loads are counted there. */
  static final class RunLoader implements BlockLoader {
    final TestBlocks blocks = new TestBlocks(BS);
    final List<List<Long>> runs = Collections.synchronizedList(new ArrayList<>());

    /** Blocks handed over before the run breaks (-1: it does not). */
    volatile int breakAfter = -1;

    /** Awaited after the first block of a run is handed over, when set. */
    volatile CountDownLatch gate;

    @Override
    public ByteBuffer load(BlockKey key) throws IOException {
      return blocks.load(key);
    }

    @Override
    public ByteBuffer load(BlockKey key, ByteBuffer into) throws IOException {
      return blocks.load(key, into);
    }

    @Override
    public void loadRun(List<BlockKey> keys, Sink sink) throws IOException {
      runs.add(keys.stream().map(BlockKey::index).toList());
      for (int i = 0; i < keys.size(); i++) {
        if (i == breakAfter) throw new IOException("connection reset mid-body");
        BlockKey k = keys.get(i);
        int len = blocks.lengthOf(k);
        ByteBuffer into = sink.buffer(k);
        ByteBuffer b = into != null ? into.clear().limit(len) : ByteBuffer.allocate(len);
        for (int j = 0; j < len; j++) b.put(j, TestBlocks.expected(k, j));
        sink.loaded(k, b);
        CountDownLatch g = gate;
        if (i == 0 && g != null) {
          try {
            g.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
          }
        }
      }
    }
  }

  private TieredBlockCache cache() {
    String yaml = "levels:\n" + levelYaml("MEM", dir.resolve("mem"), "64Mi", "0.9", "0.8");
    return CacheInvariants.open(
        TieredBlockCache.builder(TieredStoreConfig.parse(yaml))
            .blockSize(BS)
            .backgroundThreads(2, 64));
  }

  /** Reader threads, kept so the test can wait until each is blocked in the cache. */
  private static ThreadFactory named(List<Thread> into) {
    return r -> {
      Thread t = new Thread(r, "reader-" + into.size());
      into.add(t);
      return t;
    };
  }

  private static List<BlockKey> keys(String object, long from, long to) {
    List<BlockKey> ks = new ArrayList<>();
    for (long i = from; i <= to; i++) ks.add(key(object, i));
    return ks;
  }

  @Test
  void aRunIsOneLoaderRequestAndEveryBlockIsServedWithoutAnotherLoad() throws Exception {
    TieredBlockCache c = cache();
    RunLoader o = new RunLoader();
    c.prefetchRun(keys("obj", 0, 3), o);
    c.awaitBackground();
    assertEquals(List.of(List.of(0L, 1L, 2L, 3L)), o.runs);
    for (int i = 0; i <= 3; i++) {
      assertEquals(0, c.levelOf(key("obj", i)), "block " + i + " cached");
      readAndCheck(c, key("obj", i), o, BS, i % 2 == 0);
      assertEquals(0, o.blocks.loadsOf(key("obj", i)));
    }
    assertEquals(4, c.stats().misses());
  }

  @Test
  void cachedBlocksSplitTheRunAndAreNotFetchedAgain() throws Exception {
    TieredBlockCache c = cache();
    RunLoader o = new RunLoader();
    readAndCheck(c, key("obj", 1), o, BS, false);
    c.prefetchRun(keys("obj", 0, 3), o);
    c.awaitBackground();
    assertEquals(List.of(List.of(0L), List.of(2L, 3L)), o.runs);
    for (int i = 0; i <= 3; i++) readAndCheck(c, key("obj", i), o, BS, false);
    assertEquals(1, o.blocks.loadsOf(key("obj", 1)));
  }

  @Test
  void aReaderOfALaterBlockWaitsForTheRunInsteadOfFetchingItAgain() throws Exception {
    TieredBlockCache c = cache();
    RunLoader o = new RunLoader();
    o.gate = new CountDownLatch(1);
    c.prefetchRun(keys("obj", 0, 3), o);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (o.runs.isEmpty() && System.nanoTime() < deadline) Thread.sleep(1);
    List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
    ExecutorService readers = Executors.newFixedThreadPool(2, named(threads));
    try {
      Future<?> r2 =
          readers.submit(
              () -> {
                readAndCheck(c, key("obj", 2), o, BS, true);
                return null;
              });
      Future<?> r3 =
          readers.submit(
              () -> {
                readAndCheck(c, key("obj", 3), o, BS, false);
                return null;
              });
      for (Thread t : List.copyOf(threads)) Blocked.awaitInCache(t, Duration.ofSeconds(30));
      assertTrue(!r2.isDone() && !r3.isDone(), "readers wait for the run");
      o.gate.countDown();
      r2.get(10, TimeUnit.SECONDS);
      r3.get(10, TimeUnit.SECONDS);
    } finally {
      o.gate.countDown();
      readers.shutdownNow();
    }
    assertEquals(0, o.blocks.loadsOf(key("obj", 2)));
    assertEquals(0, o.blocks.loadsOf(key("obj", 3)));
    assertEquals(1, o.runs.size());
  }

  @Test
  void aBrokenRunKeepsTheWholeBlocksAndItsWaitersFetchTheRestThemselves() throws Exception {
    TieredBlockCache c = cache();
    RunLoader o = new RunLoader();
    o.gate = new CountDownLatch(1);
    o.breakAfter = 2;
    c.prefetchRun(keys("obj", 0, 3), o);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (o.runs.isEmpty() && System.nanoTime() < deadline) Thread.sleep(1);
    List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
    ExecutorService readers = Executors.newSingleThreadExecutor(named(threads));
    try {
      Future<?> r2 =
          readers.submit(
              () -> {
                readAndCheck(c, key("obj", 2), o, BS, true);
                return null;
              });
      Blocked.awaitInCache(
          threads.get(0), Duration.ofSeconds(30)); // waits on the run, then the run breaks
      o.gate.countDown();
      r2.get(10, TimeUnit.SECONDS);
    } finally {
      o.gate.countDown();
      readers.shutdownNow();
    }
    c.awaitBackground();
    assertEquals(1, o.blocks.loadsOf(key("obj", 2)), "the waiter's own load");
    assertEquals(0, c.levelOf(key("obj", 0)));
    assertEquals(0, c.levelOf(key("obj", 1)));
    assertEquals(-1, c.levelOf(key("obj", 3)), "never loaded: not cached");
    assertEquals(1, c.stats().loadErrors());
    for (int i = 0; i <= 3; i++) readAndCheck(c, key("obj", i), o, BS, false);
    assertEquals(0, o.blocks.loadsOf(key("obj", 0)));
    assertEquals(1, o.blocks.loadsOf(key("obj", 3)));
  }
}
