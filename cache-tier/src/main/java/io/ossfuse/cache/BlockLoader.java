package io.ossfuse.cache;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Fetches a whole block from the origin (OSS) on a cache miss. */
@FunctionalInterface
public interface BlockLoader {
    /**
     * Returns the full content of block {@code key} (exactly the block size, or less for the last
     * block of an object), positioned at 0 with its limit at the block length. Must throw rather
     * than return a short or partial block: whatever it returns may be cached.
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
}
