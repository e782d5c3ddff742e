package io.ossfuse.cache;

import java.nio.charset.StandardCharsets;

/**
 * The on-disk identity of a block: 64-bit hashes of (bucket, object key) and of the ETag, plus the
 * block index. File names are made of it, so the index can be rebuilt at start from names alone; a
 * hash collision is caught by the header check on read (the header holds the full key).
 */
record BlockId(long object, long version, long index) {
  static final String SUFFIX = ".blk";

  /** The index of a whole-object file ({@link WholeObjects}) of the version, not a block. */
  static final long WHOLE = -1;

  /**
   * Block index i means different bytes under another block size, so the size is part of the
   * version.
   */
  static BlockId of(BlockKey key, int blockSize) {
    return new BlockId(
        objectHash(key.bucket(), key.objectKey()), versionHash(key.etag(), blockSize), key.index());
  }

  static long versionHash(String etag, int blockSize) {
    return hash(etag + "\u0000" + blockSize);
  }

  static long objectHash(String bucket, String objectKey) {
    // bucket names cannot hold '/', so "bucket/key" is unambiguous
    return hash(bucket + "/" + objectKey);
  }

  static long hash(String s) {
    long h = 0xcbf29ce484222325L; // FNV-1a 64, then a splitmix finalizer to spread the bits
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 30;
    h *= 0xbf58476d1ce4e5b9L;
    h ^= h >>> 27;
    h *= 0x94d049bb133111ebL;
    return h ^ (h >>> 31);
  }

  /** Sub-directory (256 of them) so no single directory holds every block. */
  String dirName() {
    return dirName((int) (object >>> 56));
  }

  static String dirName(int i) {
    return new String(new char[] {HEX[(i >> 4) & 15], HEX[i & 15]});
  }

  String fileName() {
    StringBuilder sb = new StringBuilder(16 + 1 + 16 + 1 + 20 + SUFFIX.length());
    if (index == WHOLE) {
      hex16(sb, object).append('-');
      return hex16(sb, version).append(WholeObjects.DATA_SUFFIX).toString();
    }
    hex16(sb, object).append('-');
    hex16(sb, version).append('-');
    return sb.append(index).append(SUFFIX).toString();
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private static StringBuilder hex16(StringBuilder sb, long v) {
    for (int shift = 60; shift >= 0; shift -= 4) sb.append(HEX[(int) (v >>> shift) & 15]);
    return sb;
  }

  /**
   * @return the id named by {@code fileName}, or null when it is not a block file name
   */
  static BlockId parse(String fileName) {
    if (fileName.endsWith(WholeObjects.DATA_SUFFIX)
        && fileName.length() == 33 + WholeObjects.DATA_SUFFIX.length()
        && fileName.charAt(16) == '-') {
      try {
        return new BlockId(
            Long.parseUnsignedLong(fileName.substring(0, 16), 16),
            Long.parseUnsignedLong(fileName.substring(17, 33), 16),
            WHOLE);
      } catch (NumberFormatException e) {
        return null;
      }
    }
    if (!fileName.endsWith(SUFFIX) || fileName.length() < 16 + 1 + 16 + 1 + 1 + SUFFIX.length())
      return null;
    if (fileName.charAt(16) != '-' || fileName.charAt(33) != '-') return null;
    try {
      long o = Long.parseUnsignedLong(fileName.substring(0, 16), 16);
      long v = Long.parseUnsignedLong(fileName.substring(17, 33), 16);
      long i = Long.parseLong(fileName.substring(34, fileName.length() - SUFFIX.length()));
      return i < 0 ? null : new BlockId(o, v, i);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
