package io.ossfuse.localoss;

/** How {@link LocalOssServer} derives an object's ETag. */
public enum ETagMode {
  /**
   * Upper-case hex MD5 of the content, as OSS gives for a simple PutObject. Computed on first use
   * and cached by (path, size, mtime, inode), so a large file is hashed once per change.
   */
  CONTENT_MD5,
  /**
   * A cheap id from (size, mtime, inode): no hashing, so the first HEAD of a 1 GiB file is instant.
   * A changed file gets a new ETag; rewriting identical bytes also gets a new one.
   */
  FILE_IDENTITY,
  /**
   * CONTENT_MD5 up to {@link #AUTO_MD5_LIMIT} bytes, FILE_IDENTITY above (hashing 1 GiB takes
   * seconds on a small machine and would stall the first HEAD). Real OSS also gives non-MD5 ETags
   * for multipart uploads, so clients must treat an ETag as opaque anyway. The default.
   */
  AUTO;

  /** Files up to this size get a content MD5 in {@link #AUTO} mode. */
  public static final long AUTO_MD5_LIMIT = 64L << 20;
}
