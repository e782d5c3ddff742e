package io.ossfuse.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake origin: deterministic block content, counted loads, optional failures. Pure logic, no I/O.
 */
final class TestBlocks implements BlockLoader {
  final int blockSize;
  final Map<BlockKey, AtomicInteger> loads = new ConcurrentHashMap<>();
  final AtomicLong bytes = new AtomicLong();
  volatile long delayMillis;

  /** When set, every load counts it down on start, then waits for {@link #release}. */
  volatile CountDownLatch started;

  volatile CountDownLatch release;
  volatile IOException failWith;

  /** Size of every object, so the last block comes out short. */
  volatile long objectSize = Long.MAX_VALUE;

  TestBlocks(int blockSize) {
    this.blockSize = blockSize;
  }

  static BlockKey key(String object, long index) {
    return new BlockKey("bucket", object, "etag-1", index);
  }

  int lengthOf(BlockKey key) {
    return (int) Math.max(0, Math.min(blockSize, objectSize - key.index() * blockSize));
  }

  /** The byte at {@code offsetInBlock} of block {@code key}: depends on every key field. */
  static byte expected(BlockKey key, int offsetInBlock) {
    int h = key.objectKey().hashCode() * 31 + key.etag().hashCode();
    long x = h * 0x9E3779B97F4A7C15L + key.index() * 0xBF58476D1CE4E5B9L + offsetInBlock;
    x ^= x >>> 29;
    return (byte) (x * 0x94D049BB133111EBL >>> 56);
  }

  /**
   * Whether {@link #load(BlockKey, ByteBuffer)} fills the cache's pooled buffer (the production
   * loader does).
   */
  volatile boolean fillPooled = true;

  /** Loads the cache asked for without a buffer to fill. */
  final AtomicInteger unpooled = new AtomicInteger();

  @Override
  public ByteBuffer load(BlockKey key) throws IOException {
    return load(key, null);
  }

  @Override
  public ByteBuffer load(BlockKey key, ByteBuffer into) throws IOException {
    loads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    CountDownLatch go = release;
    if (go != null) {
      started.countDown();
      try {
        if (!go.await(60, TimeUnit.SECONDS)) throw new IOException("test load never released");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
    if (delayMillis > 0) {
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted");
      }
    }
    IOException f = failWith;
    if (f != null) throw f;
    int len = lengthOf(key);
    if (into == null) unpooled.incrementAndGet();
    ByteBuffer b = fillPooled && into != null ? into.clear().limit(len) : ByteBuffer.allocate(len);
    for (int i = 0; i < len; i++) b.put(i, expected(key, i));
    bytes.addAndGet(len);
    return b.position(len).flip();
  }

  int loadsOf(BlockKey key) {
    AtomicInteger n = loads.get(key);
    return n == null ? 0 : n.get();
  }

  /** Reads a whole block through the cache and checks every byte. */
  static void readAndCheck(
      BlockCache cache, BlockKey key, BlockLoader loader, int expectedLen, boolean direct)
      throws IOException {
    ByteBuffer dst =
        direct
            ? ByteBuffer.allocateDirect(cache.blockSize() + 16)
            : ByteBuffer.allocate(cache.blockSize() + 16);
    int n = cache.read(key, 0, dst, loader);
    if (n != expectedLen)
      throw new AssertionError("read " + n + " bytes of " + key + ", expected " + expectedLen);
    for (int i = 0; i < n; i++) {
      if (dst.get(i) != expected(key, i))
        throw new AssertionError("byte " + i + " of " + key + " is wrong");
    }
  }

  static String levelYaml(String type, Path path, String quota, String high, String low) {
    return "    - {mediumtype: "
        + type
        + ", path: \""
        + path
        + "\", quota: "
        + quota
        + ", high: \""
        + high
        + "\", low: \""
        + low
        + "\"}\n";
  }
}
