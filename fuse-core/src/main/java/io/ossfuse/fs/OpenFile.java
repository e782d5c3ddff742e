package io.ossfuse.fs;

/**
 * What an open of a regular file answers: the handle, what the kernel must do with the page cache
 * (and cached attributes) it keeps for the file so that the open reads one object version, the
 * attributes of that version, and, when the cache holds that version whole, a {@link BackingFile}
 * the transport may hand to the kernel (null otherwise). A transport that does not use the backing
 * file releases it.
 */
public record OpenFile(long fh, PageCache pageCache, FileAttr attr, BackingFile backing) {

  public OpenFile(long fh, PageCache pageCache, FileAttr attr) {
    this(fh, pageCache, attr, null);
  }

  /** The kernel keeps one page cache per file, shared by every open of it. */
  public enum PageCache {
    /** The kernel's pages are of this open's version: keep them (FOPEN_KEEP_CACHE). */
    KEEP,
    /**
     * They may be of another version and no open reads through them: drop the pages at this open
     * (no FOPEN_KEEP_CACHE) and the cached attributes, so size and mtime are asked afresh.
     */
    DROP,
    /**
     * They are of another version that an open file still reads through: this open bypasses the
     * page cache (direct I/O) and leaves it to that reader (FOPEN_KEEP_CACHE), so neither sees the
     * other's bytes.
     */
    BYPASS
  }
}
