package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.cache.BlockKey;
import io.ossfuse.cache.BlockLoader;
import io.ossfuse.cache.CacheStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class SmallBlockCacheTest {
  @Test
  void aFailedLoadIsReportedToTheReaderAndNotKept() {
    AtomicInteger loads = new AtomicInteger();
    BlockLoader failing =
        k -> {
          loads.incrementAndGet();
          throw new IOException("object changed");
        };
    try (SmallBlockCache c = new SmallBlockCache(16, 1024)) {
      assertThrows(IOException.class, () -> c.read(key(0), 0, ByteBuffer.allocate(4), failing));
      assertThrows(IOException.class, () -> c.read(key(0), 0, ByteBuffer.allocate(4), failing));
      assertEquals(2, loads.get());
      assertFalse(c.holds(key(0)));
    }
  }

  /**
   * A sequential reader behind its readahead: the blocks fetched ahead stay until it gets there,
   * however often it read the blocks behind it (each 4 MiB block takes four 1 MiB FUSE reads).
   */
  @Test
  void blocksFetchedAheadStayUntilTheReaderGetsThere() throws Exception {
    int blockSize = 64, blocks = 64, ahead = 8;
    Map<Long, AtomicInteger> loads = new ConcurrentHashMap<>();
    BlockLoader loader =
        k -> {
          loads.computeIfAbsent(k.index(), i -> new AtomicInteger()).incrementAndGet();
          return ByteBuffer.allocate(blockSize);
        };
    try (SmallBlockCache c = new SmallBlockCache(blockSize, 16L * blockSize)) {
      for (int i = 0; i < blocks; i++) {
        for (int j = i + 1; j <= Math.min(blocks - 1, i + ahead); j++) {
          c.prefetch(key(j), loader);
          while (c.loading(key(j))) Thread.onSpinWait();
        }
        for (int r = 0; r < 4; r++) c.read(key(i), r * 16, ByteBuffer.allocate(16), loader);
      }
    }
    for (int i = 0; i < blocks; i++) assertEquals(1, loads.get((long) i).get(), "loads of " + i);
  }

  @Test
  void countsHitsLoadsJoinsAndEvictions() throws Exception {
    HeldLoad held = new HeldLoad();
    try (SmallBlockCache c = new SmallBlockCache(16, 2 * 16)) {
      held.startIn(c);
      assertEquals(-1, c.readIfCached(key(1), 0, ByteBuffer.allocate(1))); // nothing: no count
      held.release.countDown();
      c.readIfCached(key(0), 0, ByteBuffer.allocate(1)); // joins the load, or hits
      c.read(key(0), 0, ByteBuffer.allocate(1), held.loader); // hit
      c.read(key(1), 0, ByteBuffer.allocate(1), held.loader); // load
      c.read(key(2), 0, ByteBuffer.allocate(1), held.loader); // load, evicts block 0
      CacheStats s = c.stats();
      assertEquals(2, s.hits() + s.coalesced());
      assertEquals(3, s.misses(), "blocks loaded");
      assertEquals(1, s.evictions());
      assertEquals(3 * 16, s.bytesLoaded());
      assertEquals(0, s.loadErrors());
      assertEquals(List.of(), s.levels());
    }
  }

  @Test
  void theLeastRecentlyUsedBlockLeavesFirst() throws Exception {
    BlockLoader loader = k -> ByteBuffer.allocate(16);
    try (SmallBlockCache c = new SmallBlockCache(16, 3 * 16)) {
      for (int i = 0; i < 3; i++) c.read(key(i), 0, ByteBuffer.allocate(1), loader);
      c.readIfCached(key(0), 0, ByteBuffer.allocate(1)); // 1 is now the oldest
      c.read(key(3), 0, ByteBuffer.allocate(1), loader);
      assertEquals(List.of(0L, 2L, 3L), held(c, 4));
    }
  }

  /** A reader that joined a load ahead of it has had the block: it may leave before unread ones. */
  @Test
  void aBlockReadWhileLoadingAheadCountsAsRead() throws Exception {
    HeldLoad held = new HeldLoad();
    try (SmallBlockCache c = new SmallBlockCache(16, 2 * 16)) {
      held.startIn(c);
      Thread reader =
          new Thread(
              () -> {
                try {
                  c.read(key(0), 0, ByteBuffer.allocate(1), held.loader);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      reader.start();
      while (reader.getState() != Thread.State.WAITING) Thread.onSpinWait();
      held.release.countDown();
      reader.join();
      c.read(key(1), 0, ByteBuffer.allocate(1), held.loader);
      c.prefetch(key(2), held.loader);
      while (c.loading(key(2))) Thread.onSpinWait();
      assertEquals(List.of(1L, 2L), held(c, 3), "the block read leaves first");
    }
  }

  /**
   * A block whose object changed while it loaded goes to the readers that waited, not the cache.
   */
  @Test
  void aLoadInvalidatedMeanwhileIsNotKept() throws Exception {
    HeldLoad held = new HeldLoad();
    try (SmallBlockCache c = new SmallBlockCache(16, 1024)) {
      held.startIn(c);
      assertEquals(0, c.invalidate("b", "k"));
      held.release.countDown();
      while (c.loading(key(0))) Thread.onSpinWait();
      assertFalse(c.holds(key(0)));
    }
  }

  /** A load of block 0, started ahead of any reader and held until {@link #release}. */
  private static final class HeldLoad {
    final CountDownLatch started = new CountDownLatch(1), release = new CountDownLatch(1);
    final BlockLoader loader = heldAtBlock0(started, release);

    void startIn(SmallBlockCache c) throws InterruptedException {
      c.prefetch(key(0), loader);
      started.await();
    }
  }

  /**
   * Loads 16-byte blocks; the load of block 0 counts {@code started} down, then waits for release.
   */
  private static BlockLoader heldAtBlock0(CountDownLatch started, CountDownLatch release) {
    return k -> {
      if (k.index() == 0) {
        started.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
      }
      return ByteBuffer.allocate(16);
    };
  }

  /** The indexes of blocks 0..n-1 that {@code c} holds. */
  private static List<Long> held(SmallBlockCache c, long n) {
    return LongStream.range(0, n).filter(i -> c.holds(key(i))).boxed().toList();
  }

  private static BlockKey key(long index) {
    return new BlockKey("b", "k", "etag", index);
  }
}
