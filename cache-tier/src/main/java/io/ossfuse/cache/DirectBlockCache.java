package io.ossfuse.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;

/** No caching: used when no tiered store is configured. */
final class DirectBlockCache implements BlockCache {
  private final int blockSize;
  private final LongAdder misses = new LongAdder();
  private final LongAdder bytesLoaded = new LongAdder();
  private final LongAdder loadErrors = new LongAdder();

  DirectBlockCache(int blockSize) {
    if (blockSize <= 0)
      throw new IllegalArgumentException("blockSize must be > 0, got " + blockSize);
    this.blockSize = blockSize;
  }

  @Override
  public int blockSize() {
    return blockSize;
  }

  @Override
  public int read(BlockKey key, int offsetInBlock, ByteBuffer dst, BlockLoader loader)
      throws IOException {
    ByteBuffer block;
    try {
      block = loader.load(key);
    } catch (IOException | RuntimeException e) {
      loadErrors.increment();
      throw e;
    }
    misses.increment();
    bytesLoaded.add(block.remaining());
    block = block.slice();
    if (offsetInBlock >= block.limit()) return 0;
    int n = Math.min(dst.remaining(), block.limit() - offsetInBlock);
    dst.put(block.slice(offsetInBlock, n));
    return n;
  }

  @Override
  public CacheStats stats() {
    return CacheStats.uncached(misses.sum(), bytesLoaded.sum(), loadErrors.sum());
  }
}
