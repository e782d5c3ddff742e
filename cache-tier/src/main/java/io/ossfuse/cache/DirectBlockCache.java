package io.ossfuse.cache;

import java.io.IOException;
import java.nio.ByteBuffer;

/** No caching: used when no tiered store is configured. */
final class DirectBlockCache implements BlockCache {
    private final int blockSize;

    DirectBlockCache(int blockSize) {
        if (blockSize <= 0) throw new IllegalArgumentException("blockSize must be > 0, got " + blockSize);
        this.blockSize = blockSize;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public int read(BlockKey key, int offsetInBlock, ByteBuffer dst, BlockLoader loader) throws IOException {
        ByteBuffer block = loader.load(key);
        if (offsetInBlock >= block.limit()) return 0;
        int n = Math.min(dst.remaining(), block.limit() - offsetInBlock);
        dst.put(block.slice(offsetInBlock, n));
        return n;
    }
}
