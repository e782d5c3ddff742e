package io.ossfuse.fs;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Which object version (ETag) the kernel's page cache of each file may hold, and how many open
 * handles read through it. The kernel shares one page cache among all opens of an inode, so an open
 * of another version must either drop it (when nobody reads through it) or bypass it (when someone
 * does); see {@link OpenFile.PageCache}. A file this process has not opened yet is of an unknown
 * version (a predecessor process may have filled the cache): its first open drops it.
 */
final class PageCacheVersions {
  private static final class State {
    String etag;
    int readers;

    State(String etag) {
      this.etag = etag;
    }
  }

  private final ConcurrentHashMap<Long, State> byInode = new ConcurrentHashMap<>();

  /**
   * Decides how an open of version {@code etag} of {@code ino} uses the page cache; KEEP and DROP
   * count a reader.
   */
  OpenFile.PageCache open(long ino, String etag) {
    OpenFile.PageCache[] decision = new OpenFile.PageCache[1];
    byInode.compute(
        ino,
        (k, s) -> {
          if (s == null) {
            s = new State(etag);
            decision[0] = OpenFile.PageCache.DROP;
          } else if (s.etag.equals(etag)) {
            decision[0] = OpenFile.PageCache.KEEP;
          } else if (s.readers == 0) {
            s.etag = etag;
            decision[0] = OpenFile.PageCache.DROP;
          } else {
            decision[0] = OpenFile.PageCache.BYPASS;
            return s;
          }
          s.readers++;
          return s;
        });
    return decision[0];
  }

  /** A handle that read through the page cache (KEEP or DROP) was released. Its pages stay. */
  void release(long ino) {
    byInode.computeIfPresent(
        ino,
        (k, s) -> {
          s.readers = Math.max(0, s.readers - 1);
          return s;
        });
  }

  /** The kernel forgot the inode, and its page cache with it. */
  void forget(long ino) {
    byInode.computeIfPresent(ino, (k, s) -> s.readers == 0 ? null : s);
  }
}
