package io.ossfuse.cache;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One level of a tiered store: a medium, one or more directories each with its own byte quota, and
 * the watermarks. When a directory's usage reaches {@code quota * high}, least-recently-used blocks
 * leave it until usage is at or under {@code quota * low}.
 *
 * @param paths the directories (Fluid's comma list), never empty
 * @param quotas bytes allowed under each path, same size as {@code paths}
 */
public record TierLevel(
    MediumType mediumType, List<Path> paths, List<Long> quotas, double high, double low) {
  public TierLevel {
    Objects.requireNonNull(mediumType, "mediumType");
    paths = List.copyOf(paths);
    quotas = List.copyOf(quotas);
    String where = "tieredstore level " + mediumType;
    if (paths.isEmpty())
      throw new CacheConfigException(where + ": path is empty; give at least one directory");
    if (quotas.size() != paths.size()) {
      throw new CacheConfigException(
          where
              + ": "
              + quotas.size()
              + " quotas for "
              + paths.size()
              + " paths; give one quotaList entry per path");
    }
    for (long q : quotas) {
      if (q <= 0)
        throw new CacheConfigException(where + ": quota must be > 0 bytes per path, got " + q);
    }
    if (!(low > 0 && low <= high && high <= 1)) {
      throw new CacheConfigException(
          where
              + ": high "
              + high
              + ", low "
              + low
              + " are out of range; need 0 < low <= high <= 1");
    }
  }

  /** Total quota of the level in bytes. */
  public long quota() {
    return quotas.stream().mapToLong(Long::longValue).sum();
  }
}
