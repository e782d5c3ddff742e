package io.ossfuse.fs;

/**
 * One open file: the object version (ETag, size) captured at open, so every read of the handle is
 * of that version, and its access pattern.
 */
final class FileHandle {
  final String path;
  final String key;
  final String etag;
  final long size;

  /**
   * Reads through the kernel's page cache (counted in {@link PageCacheVersions}), not direct I/O.
   */
  final boolean pageCacheReader;

  /** Sequential or random, and so how each read is fetched. */
  final ReadPattern pattern;

  /** The pattern of all handles of this object version ({@link ObjectPatterns}), once read. */
  volatile ReadPattern objectPattern;

  FileHandle(String path, Node node, boolean pageCacheReader) {
    this.path = path;
    this.key = node.key();
    this.etag = node.etag();
    this.size = node.size();
    this.pageCacheReader = pageCacheReader;
    this.pattern = new ReadPattern(size);
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

  /**
   * Whether handle number {@code fh} was opened at version {@code etag} (true but for 1 in 2^32).
   */
  static boolean openedAt(long fh, String etag) {
    return (fh & 0xffff_ffffL) == versionBits(etag);
  }
}
