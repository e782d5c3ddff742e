package io.ossfuse.fs;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The access pattern of each object version over all its open handles, beside each handle's own.
 * Through the kernel's page cache, concurrent readers of one file split one sequential sweep among
 * their handles: each handle sees jumps over the pages another one brought in, so alone it looks
 * random and would fetch its bytes outside the cache's single-flight while the same blocks are
 * loaded for the others (32 readers of a cold object fetched it ~1.3 times). Together their reads
 * are one sequential run. Bounded: the least recently read objects are forgotten first (a forgotten
 * pattern only starts its run again).
 */
final class ObjectPatterns {
  static final int MAX_OBJECTS = 4096;

  /** One object version's pattern and how many handles have read through it and are still open. */
  private static final class Shared {
    final ReadPattern pattern;
    int handles;

    Shared(long size) {
      pattern = new ReadPattern(size);
    }
  }

  private final Map<String, Shared> patterns =
      new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Shared> eldest) {
          return size() > MAX_OBJECTS;
        }
      };

  /**
   * The pattern of {@code h}'s object version, shared by its handles open meanwhile; {@code h}
   * counts as one of them until {@link #release}d.
   */
  ReadPattern of(FileHandle h) {
    ReadPattern p = h.objectPattern;
    if (p != null) return p;
    synchronized (this) {
      if (h.objectPattern == null) {
        Shared s = patterns.computeIfAbsent(id(h), k -> new Shared(h.size));
        s.handles++;
        h.objectPattern = s.pattern;
      }
      return h.objectPattern;
    }
  }

  /**
   * {@code h} was closed: once no handle that read the object is open, its pattern is forgotten (a
   * later reader starts afresh, as its own handle does).
   */
  synchronized void release(FileHandle h) {
    if (h.objectPattern == null) return;
    String id = id(h);
    Shared s = patterns.get(id);
    if (s != null && s.pattern == h.objectPattern && --s.handles <= 0) patterns.remove(id);
  }

  private static String id(FileHandle h) {
    return h.key + '\0' + h.etag;
  }

  /**
   * How to serve a read: through blocks with readahead when the handle's own reads form a
   * sequential run (its plan), or else when the reads of all handles of the object do (theirs);
   * random only when neither does. Both patterns record every read.
   */
  static ReadPattern.Plan plan(
      ReadPattern handle, ReadPattern object, long offset, long end, int blockSize, int maxWindow) {
    ReadPattern.Plan own = handle.onRead(offset, end, blockSize, maxWindow);
    ReadPattern.Plan all = object.onRead(offset, end, blockSize, maxWindow);
    return own.throughBlocks() || !all.throughBlocks() ? own : all;
  }
}
