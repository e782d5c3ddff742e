package io.ossfuse.cache;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * A read-through cache of fixed-size object blocks. Implementations are thread-safe; concurrent
 * misses of one key cause one {@link BlockLoader#load} call.
 */
public interface BlockCache extends Closeable {

  /** Size in bytes of every block but the last block of an object. */
  int blockSize();

  /**
   * Copies bytes of block {@code key}, starting at {@code offsetInBlock}, into {@code dst} (up to
   * {@code dst.remaining()} or the end of the block), loading the block with {@code loader} on a
   * miss.
   *
   * @return the number of bytes copied; 0 when {@code offsetInBlock} is at or past the block end
   */
  int read(BlockKey key, int offsetInBlock, ByteBuffer dst, BlockLoader loader) throws IOException;

  /**
   * Like {@link #read}, but only from a block that is cached already or loading: never starts a
   * load, but joins one in flight (fetching its bytes again beside it would cost the origin twice).
   * A random reader uses it before fetching just the bytes it needs from the origin.
   *
   * @return the number of bytes copied (0 when {@code offsetInBlock} is at or past the block end),
   *     or -1 when the block is not cached (the default: a cache that cannot tell)
   */
  default int readIfCached(BlockKey key, int offsetInBlock, ByteBuffer dst) throws IOException {
    return -1;
  }

  /**
   * Starts loading block {@code key} in the background unless it is cached or loading already
   * (readahead). Never blocks and never throws; may do nothing (e.g. when the background queue is
   * full or the cache stores nothing). A later {@link #read} of the key joins the load instead of
   * starting another.
   */
  default void prefetch(BlockKey key, BlockLoader loader) {}

  /**
   * Like {@link #prefetch} for consecutive blocks of one object (a sequential reader's readahead),
   * which the cache may load with one {@link BlockLoader#loadRun} (one origin request). The default
   * prefetches each block.
   */
  default void prefetchRun(List<BlockKey> keys, BlockLoader loader) {
    for (BlockKey k : keys) prefetch(k, loader);
  }

  /**
   * Drops every cached block of every version of an object (call when it changed or was deleted).
   *
   * @return the number of blocks dropped
   */
  default int invalidate(String bucket, String objectKey) {
    return 0;
  }

  /**
   * The object version (bucket, key, ETag, {@code size} bytes) as one plain file, held for the
   * caller, when the cache has it whole and verified. When it has every block but no such file yet,
   * it may start building one in the background (so a later call finds it). Never blocks on I/O of
   * the object.
   */
  default java.util.Optional<WholeObject> whole(
      String bucket, String objectKey, String etag, long size) {
    return java.util.Optional.empty();
  }

  /** A snapshot of the counters (all zero unless the implementation keeps them). */
  default CacheStats stats() {
    return CacheStats.uncached(0, 0, 0);
  }

  /** A cache that stores nothing: every read goes to the loader. */
  static BlockCache direct(int blockSize) {
    return new DirectBlockCache(blockSize);
  }

  @Override
  default void close() throws IOException {}
}
