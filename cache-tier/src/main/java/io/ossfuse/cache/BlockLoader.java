package io.ossfuse.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/** Fetches a whole block from the origin (OSS) on a cache miss. */
@FunctionalInterface
public interface BlockLoader {
  /**
   * Returns the full content of block {@code key} (exactly the block size, or less for the last
   * block of an object), positioned at 0 with its limit at the block length. Must throw rather than
   * return a short or partial block: whatever it returns may be cached.
   */
  ByteBuffer load(BlockKey key) throws IOException;

  /**
   * Like {@link #load(BlockKey)}, but may fill {@code into} (cleared, capacity at least the block
   * size, usually a pooled direct buffer the cache reuses) instead of allocating, and return it
   * flipped. The default ignores {@code into}. Whatever is returned must not be kept by the loader.
   */
  default ByteBuffer load(BlockKey key, ByteBuffer into) throws IOException {
    return load(key);
  }

  /**
   * Loads consecutive blocks of one object, in order, handing each to {@link Sink#loaded} as soon
   * as it is complete (same contract as {@link #load}); a loader that can fetches them with one
   * origin request. A failure throws; the blocks not handed over yet were not loaded. The default
   * loads them one by one.
   */
  default void loadRun(List<BlockKey> keys, Sink sink) throws IOException {
    for (BlockKey k : keys) {
      ByteBuffer into = sink.buffer(k);
      sink.loaded(k, into == null ? load(k) : load(k, into));
    }
  }

  /** Where {@link #loadRun} gets buffers from and puts finished blocks. */
  interface Sink {
    /**
     * A buffer for block {@code key} as for {@link #load(BlockKey, ByteBuffer)}, or null (allocate
     * one).
     */
    ByteBuffer buffer(BlockKey key);

    /** Block {@code key} is complete in {@code block} (positioned at 0, limit at its length). */
    void loaded(BlockKey key, ByteBuffer block);
  }
}
