package io.ossfuse.cache;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Per object, the newest ETag seen and the one before it. The first time a block of a new ETag of
 * an object is cached, blocks of its other ETags are to be dropped (they can never be served again,
 * only waste space). A late block of the ETag just replaced (a reader still on the old version)
 * drops nothing, so two versions read at once do not evict each other.
 */
final class Versions {
  /** Object hash → {newest ETag hash, the one before it}. */
  private final ConcurrentHashMap<Long, long[]> seen = new ConcurrentHashMap<>();

  /** A block of this version found at start. */
  void adopt(BlockId id) {
    seen.put(id.object(), new long[] {id.version(), id.version()});
  }

  /** The object was invalidated: whatever version comes next is not "new". */
  void forget(long object) {
    seen.remove(object);
  }

  /**
   * Records that a block of {@code id}'s version was cached.
   *
   * @return true when it is the first block of a new version: the object's other versions should go
   */
  boolean firstOfNewVersion(BlockId id) {
    long ver = id.version();
    boolean[] isNew = new boolean[1];
    seen.compute(
        id.object(),
        (obj, v) -> {
          if (v == null) return new long[] {ver, ver};
          if (v[0] == ver || v[1] == ver) return v;
          isNew[0] = true;
          return new long[] {ver, v[0]};
        });
    return isNew[0];
  }
}
