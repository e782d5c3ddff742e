package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.cache.BlockKey;
import io.ossfuse.cache.BlockLoader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class SmallBlockCacheTest {
  @Test
  void aFailedLoadIsReportedToTheReaderNotLoggedWithAStackTrace() throws Exception {
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Handler h =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            logged.add(r);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger caffeine = Logger.getLogger("com.github.benmanes.caffeine.cache.LocalAsyncCache");
    caffeine.addHandler(h);
    AtomicInteger loads = new AtomicInteger();
    BlockLoader failing =
        k -> {
          loads.incrementAndGet();
          throw new IOException("object changed");
        };
    BlockKey key = new BlockKey("b", "k", "etag", 0);
    try (SmallBlockCache c = new SmallBlockCache(16, 1024)) {
      assertThrows(IOException.class, () -> c.read(key, 0, ByteBuffer.allocate(4), failing));
      // The failed load leaves the cache once Caffeine has handled (and would have logged) it.
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (loads.get() < 2 && System.nanoTime() < deadline) {
        assertThrows(IOException.class, () -> c.read(key, 0, ByteBuffer.allocate(4), failing));
      }
      assertTrue(loads.get() >= 2, "the failed load was dropped");
    } finally {
      caffeine.removeHandler(h);
    }
    assertEquals(List.of(), logged.stream().map(LogRecord::getMessage).toList());
  }
}
