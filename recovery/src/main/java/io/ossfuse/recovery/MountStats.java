package io.ossfuse.recovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.ossfuse.cache.CacheStats;
import io.ossfuse.cache.LevelStats;
import io.ossfuse.fs.Errno;
import io.ossfuse.stats.SnapshotFiles;
import io.ossfuse.stats.StatsSnapshot;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The at-a-glance numbers {@code ossfuse status} shows for one mount: its data path (from the live
 * child's stats snapshot) and its recovery history (from the daemon). Nothing here names options.
 *
 * @param dataPath null while the mount has no live child with a snapshot
 * @param recoveries the last recoveries, newest first
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record MountStats(DataPath dataPath, List<RecoveryHistory.Event> recoveries) {
  /**
   * Answers that are part of normal work, not failures: no such file, no such xattr (or namespace).
   */
  static final Set<String> EXPECTED_ERRNOS =
      Set.of(Errno.ENOENT.name(), Errno.ENODATA.name(), Errno.EOPNOTSUPP.name());

  public MountStats {
    recoveries = recoveries == null ? List.of() : List.copyOf(recoveries);
  }

  /**
   * @param ageMs age of the child's snapshot (written every 2 s)
   * @param fuseErrors failed filesystem calls other than ENOENT/ENODATA/EOPNOTSUPP
   * @param cache null without a tiered cache
   * @param passthroughOpens opens the kernel reads from a cached whole-object file by itself (FUSE
   *     passthrough), by the current child
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record DataPath(
      long ageMs,
      long fuseOps,
      long fuseErrors,
      long ossRequests,
      long ossErrors,
      long ossBytes,
      Cache cache,
      long passthroughOpens) {
    public DataPath(
        long ageMs,
        long fuseOps,
        long fuseErrors,
        long ossRequests,
        long ossErrors,
        long ossBytes,
        Cache cache) {
      this(ageMs, fuseOps, fuseErrors, ossRequests, ossErrors, ossBytes, cache, 0);
    }
  }

  /** The fuse "operation" a snapshot counts passthrough opens under (not a request of its own). */
  static final String PASSTHROUGH_OPEN = "open_passthrough";

  /**
   * @param hitRatio hits / (hits + misses); null before the first read
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Cache(
      long usedBytes, long quotaBytes, long hits, long misses, Double hitRatio, long evictions) {}

  /** The numbers of the mount whose current child is {@code childPid} (null: none). */
  static MountStats of(
      Path statsFile, Long childPid, List<RecoveryHistory.Event> recoveries, long nowMillis) {
    DataPath d = null;
    if (childPid != null && statsFile != null) {
      d =
          SnapshotFiles.read(statsFile)
              .filter(s -> s.pid() == childPid)
              .map(s -> dataPath(s, nowMillis))
              .orElse(null);
    }
    return new MountStats(d, recoveries);
  }

  static DataPath dataPath(StatsSnapshot s, long nowMillis) {
    long ops = 0;
    long errs = 0;
    StatsSnapshot.OpStats pt = s.fuse().get(PASSTHROUGH_OPEN);
    for (StatsSnapshot.OpStats o : s.fuse().values()) {
      if (o == pt) continue;
      ops += o.count();
      for (var e : o.errors().entrySet())
        if (!EXPECTED_ERRNOS.contains(e.getKey())) errs += e.getValue();
    }
    long req = 0;
    long oerr = 0;
    long bytes = 0;
    for (StatsSnapshot.OssStats o : s.oss().values()) {
      req += o.requests();
      oerr += o.errors();
      bytes += o.bytes();
    }
    Cache c = null;
    CacheStats cs = s.cache();
    if (cs != null) {
      long quota = cs.levels().stream().mapToLong(LevelStats::quotaBytes).sum();
      long total = cs.hits() + cs.misses();
      c =
          new Cache(
              cs.usedBytes(),
              quota,
              cs.hits(),
              cs.misses(),
              total == 0 ? null : (double) cs.hits() / total,
              cs.evictions());
    }
    return new DataPath(
        Math.max(0, nowMillis - s.takenAtMillis()),
        ops,
        errs,
        req,
        oerr,
        bytes,
        c,
        pt == null ? 0 : pt.count());
  }
}
