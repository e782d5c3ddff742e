package io.ossfuse.cache;

import java.util.List;

/**
 * An immutable snapshot of cache counters (counters count since the cache was opened).
 *
 * @param hits reads served from a cached block
 * @param misses reads that called the loader
 * @param coalesced reads that waited for another read's loader call instead of calling it
 *     (single-flight)
 * @param evictions blocks that left a level to make room
 * @param demotions evicted blocks moved into a lower level instead of deleted
 * @param promotions blocks moved up to the top level after a hit below it
 * @param bytesLoaded bytes returned by the loader (fetched from the origin)
 * @param loadErrors loader calls that failed
 * @param corruptBlocks block files dropped because their header or checksum did not match
 * @param ioErrors local I/O errors (e.g. ENOSPC) turned into misses or fall-throughs
 */
public record CacheStats(
    List<LevelStats> levels,
    long hits,
    long misses,
    long coalesced,
    long evictions,
    long demotions,
    long promotions,
    long bytesLoaded,
    long loadErrors,
    long corruptBlocks,
    long ioErrors) {
  public CacheStats {
    levels = List.copyOf(levels);
  }

  /** Counters of a cache that stores nothing. */
  public static CacheStats uncached(long misses, long bytesLoaded, long loadErrors) {
    return new CacheStats(List.of(), 0, misses, 0, 0, 0, 0, bytesLoaded, loadErrors, 0, 0);
  }

  public long usedBytes() {
    return levels.stream().mapToLong(LevelStats::usedBytes).sum();
  }

  public long blocks() {
    return levels.stream().mapToLong(LevelStats::blocks).sum();
  }
}
