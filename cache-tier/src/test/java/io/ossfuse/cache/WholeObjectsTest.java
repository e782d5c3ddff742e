package io.ossfuse.cache;

import static io.ossfuse.cache.TestBlocks.expected;
import static io.ossfuse.cache.TestBlocks.levelYaml;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole-object files: built from verified blocks only, one copy, counted in the quota even while
 * held.
 */
@ExtendWith(CacheInvariants.class)
class WholeObjectsTest {
  static final int BS = 256 * 1024;
  static final long SIZE = 2 * BS + BS / 2;

  @TempDir Path dir;

  TieredBlockCache mem(String quota) {
    String yaml = "levels:\n" + levelYaml("MEM", dir.resolve("mem"), quota, "0.9", "0.6");
    return CacheInvariants.open(
        TieredBlockCache.builder(TieredStoreConfig.parse(yaml)).blockSize(BS));
  }

  static BlockKey key(String object, String etag, long index) {
    return new BlockKey("bucket", object, etag, index);
  }

  static TestBlocks origin() {
    TestBlocks o = new TestBlocks(BS);
    o.objectSize = SIZE;
    return o;
  }

  static void cacheBlocks(
      TieredBlockCache c, TestBlocks o, String object, String etag, long... blocks)
      throws IOException {
    for (long i : blocks) {
      c.read(key(object, etag, i), 0, ByteBuffer.allocate(BS), o);
    }
  }

  Optional<WholeObject> built(TieredBlockCache c, String object, String etag)
      throws InterruptedException {
    c.whole("bucket", object, etag, SIZE).ifPresent(WholeObject::release);
    c.awaitBackground();
    return c.whole("bucket", object, etag, SIZE);
  }

  static void assertObjectBytes(Path file, String object, String etag) throws IOException {
    byte[] b = Files.readAllBytes(file);
    assertEquals(SIZE, b.length);
    for (int i = 0; i < b.length; i++) {
      if (b[i] != expected(key(object, etag, i / BS), i % BS))
        throw new AssertionError("byte " + i + " is wrong");
    }
  }

  @Test
  void builtOnceEveryBlockIsCachedThenTheBlocksGo() throws Exception {
    TieredBlockCache c = mem("16Mi");
    TestBlocks o = origin();
    cacheBlocks(c, o, "obj", "e1", 0, 1);
    assertTrue(built(c, "obj", "e1").isEmpty(), "not whole yet");
    cacheBlocks(c, o, "obj", "e1", 2);
    Optional<WholeObject> w = built(c, "obj", "e1");
    assertTrue(w.isPresent(), "built when the last block is in");
    assertObjectBytes(w.get().path(), "obj", "e1");
    assertFalse(
        Files.exists(
            w.get()
                .path()
                .resolveSibling(w.get().path().getFileName().toString().replace(".obj", ".blk"))));
    assertNull(c.fileOf(key("obj", "e1", 0)), "block files dropped: nothing stored twice");
    w.get().release();
    long loads = o.bytes.get();
    TestBlocks.readAndCheck(c, key("obj", "e1", 1), o, BS, false);
    ByteBuffer tail = ByteBuffer.allocate(BS);
    assertEquals(BS / 2, c.read(key("obj", "e1", 2), 0, tail, o));
    assertEquals(loads, o.bytes.get(), "reads served from the whole file");
    c.prefetchRun(java.util.List.of(key("obj", "e1", 0), key("obj", "e1", 1)), o);
    c.awaitBackground();
    assertNull(c.fileOf(key("obj", "e1", 0)), "prefetch does not bring the blocks back");
  }

  /**
   * A reader that reaches the end may have been handed the last block by its load before the block
   * was stored: the whole file must still be built then, not only at the next open.
   */
  @Test
  void builtWhenTheLastBlockWasStillLoadingAtTheEnd() throws Exception {
    TieredBlockCache c = mem("16Mi");
    TestBlocks o = origin();
    cacheBlocks(c, o, "obj", "e1", 0, 1);
    o.started = new CountDownLatch(1);
    o.release = new CountDownLatch(1);
    Thread last =
        new Thread(
            () -> {
              try {
                cacheBlocks(c, o, "obj", "e1", 2);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    last.start();
    try {
      assertTrue(o.started.await(60, TimeUnit.SECONDS), "the last block's load started");
      c.whole("bucket", "obj", "e1", SIZE).ifPresent(WholeObject::release);
    } finally {
      o.release.countDown();
      last.join();
    }
    c.awaitBackground();
    assertEquals(1, c.wholeFilesBuilt(), "built from the load it joined, before any other open");
    assertEquals(1, o.loadsOf(key("obj", "e1", 2)), "the last block was loaded once");
    assertNull(c.fileOf(key("obj", "e1", 2)), "its block file is not kept beside the whole file");
    Optional<WholeObject> w = c.whole("bucket", "obj", "e1", SIZE);
    assertTrue(w.isPresent());
    assertObjectBytes(w.get().path(), "obj", "e1");
    w.get().release();
  }

  @Test
  void aDamagedBlockIsNeverPartOfAWholeFile() throws Exception {
    TieredBlockCache c = mem("16Mi");
    TestBlocks o = origin();
    cacheBlocks(c, o, "obj", "e1", 0, 1, 2);
    try (RandomAccessFile f = new RandomAccessFile(c.fileOf(key("obj", "e1", 1)).toFile(), "rw")) {
      f.seek(f.length() - 10);
      f.write(f.read() ^ 0xff);
    }
    assertTrue(built(c, "obj", "e1").isEmpty(), "verification failed: not eligible");
    assertNull(c.fileOf(key("obj", "e1", 1)), "the damaged block was dropped");
    cacheBlocks(c, o, "obj", "e1", 1);
    Optional<WholeObject> w = built(c, "obj", "e1");
    assertTrue(w.isPresent(), "eligible once every block checks out");
    assertObjectBytes(w.get().path(), "obj", "e1");
    w.get().release();
  }

  @Test
  void aHeldFileEvictedKeepsCountingUntilReleased() throws Exception {
    TieredBlockCache c = mem("4Mi");
    TestBlocks o = origin();
    cacheBlocks(c, o, "obj", "e1", 0, 1, 2);
    WholeObject w = built(c, "obj", "e1").orElseThrow();
    long quota = c.stats().levels().get(0).quotaBytes();
    // fill the level with other blocks: the whole file is the eldest and goes
    for (int i = 0; i < 16; i++) cacheBlocks(c, o, "other-" + i, "e1", 0);
    assertFalse(Files.exists(w.path()), "evicted");
    assertTrue(c.wholeBytesHeld() >= SIZE, "but still counted: the kernel may hold it open");
    assertTrue(c.stats().levels().get(0).usedBytes() <= quota, "quota holds");
    w.release();
    assertEquals(0, c.wholeBytesHeld());
  }

  @Test
  void aNewVersionDropsTheOldWholeFile() throws Exception {
    TieredBlockCache c = mem("16Mi");
    TestBlocks o = origin();
    cacheBlocks(c, o, "obj", "e1", 0, 1, 2);
    WholeObject old = built(c, "obj", "e1").orElseThrow();
    cacheBlocks(c, o, "obj", "e2", 0);
    assertFalse(Files.exists(old.path()), "the old version is gone from the cache");
    assertTrue(c.wholeBytesHeld() > 0, "its space held while an open file reads it");
    old.release();
    cacheBlocks(c, o, "obj", "e2", 1, 2);
    WholeObject fresh = built(c, "obj", "e2").orElseThrow();
    assertObjectBytes(fresh.path(), "obj", "e2");
    fresh.release();
  }

  @Test
  void wholeFilesSurviveARestart() throws Exception {
    TieredBlockCache c = mem("16Mi");
    TestBlocks o = origin();
    cacheBlocks(c, o, "obj", "e1", 0, 1, 2);
    built(c, "obj", "e1").orElseThrow().release();
    c.close();
    TieredBlockCache again = mem("16Mi");
    WholeObject w = again.whole("bucket", "obj", "e1", SIZE).orElseThrow();
    assertObjectBytes(w.path(), "obj", "e1");
    w.release();
  }
}
