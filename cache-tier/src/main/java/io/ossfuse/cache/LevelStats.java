package io.ossfuse.cache;

import java.nio.file.Path;
import java.util.List;

/**
 * One level of a {@link CacheStats} snapshot.
 *
 * @param usedBytes bytes of block files (headers included) plus space reserved by writes in flight
 * @param quotaBytes the effective quota: the configured one, lowered when the disk ran out of space
 * @param evictions blocks that left this level to make room (demoted or deleted)
 */
public record LevelStats(
    MediumType mediumType,
    List<Path> paths,
    long usedBytes,
    long quotaBytes,
    double high,
    double low,
    long blocks,
    long hits,
    long evictions) {
  public LevelStats {
    paths = List.copyOf(paths);
  }
}
