package io.ossfuse.fs;

/**
 * One open file: the object version (ETag, size) captured at open, so every read of the handle is
 * of that version, and the state of the sequential-read detector.
 */
final class FileHandle {
    final String path;
    final String key;
    final String etag;
    final long size;
    /** Reads through the kernel's page cache (counted in {@link PageCacheVersions}), not direct I/O. */
    final boolean pageCacheReader;
    private long lastEnd = -1;
    private int streak;
    private long prefetchedUpTo = -1;

    FileHandle(String path, Node node, boolean pageCacheReader) {
        this.path = path;
        this.key = node.key();
        this.etag = node.etag();
        this.size = node.size();
        this.pageCacheReader = pageCacheReader;
    }

    /**
     * The low 32 bits of a file handle number: a hash of the ETag it was opened at. A successor
     * process that gets a handle it did not open (seamless takeover) serves it only while the object
     * is still at that version, instead of silently switching versions under the reader.
     */
    static long versionBits(String etag) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(etag.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return crc.getValue();
    }

    /** Whether handle number {@code fh} was opened at version {@code etag} (true but for 1 in 2^32). */
    static boolean openedAt(long fh, String etag) {
        return (fh & 0xffff_ffffL) == versionBits(etag);
    }

    /**
     * Records a read of [offset, end) and returns the block range {from, to} to prefetch, or null.
     * Reads count as sequential when they start within 1 MiB of where the previous one ended (the
     * kernel issues readahead requests in parallel, slightly out of order); prefetch starts with
     * the third sequential read.
     */
    synchronized long[] onRead(long offset, long end, int blockSize, int window) {
        boolean sequential = lastEnd >= 0 && offset >= lastEnd - (1 << 20) && offset <= lastEnd + (1 << 20);
        streak = sequential ? streak + 1 : 0;
        if (!sequential) prefetchedUpTo = -1;
        lastEnd = sequential ? Math.max(lastEnd, end) : end;
        if (window == 0 || streak < 2 || size == 0) return null;
        long lastBlock = (size - 1) / blockSize;
        long current = (end - 1) / blockSize;
        long to = Math.min(lastBlock, current + window);
        long from = Math.max(prefetchedUpTo + 1, current + 1);
        if (from > to) return null;
        if (prefetchedUpTo > current && to - from + 1 < runBlocks(window) && to < lastBlock) return null;
        prefetchedUpTo = to;
        return new long[] {from, to};
    }

    /** Blocks fetched with one request when prefetching: half the window, so two requests overlap. */
    static int runBlocks(int window) {
        return Math.max(1, window / 2);
    }
}
