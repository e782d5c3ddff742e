package io.ossfuse.stats;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.ossfuse.cache.CacheStats;
import java.util.List;
import java.util.Map;

/**
 * What one serving process knows about its mount at one instant, as written to its stats file for
 * the daemon. Counters count since {@code startedAtMillis} (the process start): a restarted child
 * starts again from zero, as Prometheus counters do.
 *
 * @param version {@link #VERSION}; readers ignore unknown fields
 * @param pid the serving process (the daemon only trusts a snapshot of its live child)
 * @param startedAtMillis when the counters started (epoch ms)
 * @param takenAtMillis when this snapshot was taken (epoch ms)
 * @param latencyBucketsSeconds upper bounds of {@link OpStats#buckets()} (the last bucket, +Inf, is
 *     implied)
 * @param fuse per filesystem operation ({@code lookup}, {@code read}, ...)
 * @param oss per object-store operation ({@code list}, {@code head}, {@code get})
 * @param cache the block cache's counters and levels; null without a tiered cache
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StatsSnapshot(
    int version,
    long pid,
    long startedAtMillis,
    long takenAtMillis,
    List<Double> latencyBucketsSeconds,
    Map<String, OpStats> fuse,
    Map<String, OssStats> oss,
    CacheStats cache) {
  public static final int VERSION = 1;

  public StatsSnapshot {
    latencyBucketsSeconds =
        latencyBucketsSeconds == null ? List.of() : List.copyOf(latencyBucketsSeconds);
    fuse = fuse == null ? Map.of() : Map.copyOf(fuse);
    oss = oss == null ? Map.of() : Map.copyOf(oss);
  }

  /**
   * One filesystem operation.
   *
   * @param count calls (failed ones included)
   * @param sumSeconds total time spent in the calls
   * @param buckets calls per latency bucket, not cumulative; one more entry than the bounds (+Inf)
   * @param errors failed calls by errno name ({@code ENOENT}, {@code EIO}, ...)
   * @param bytes bytes the calls returned (reads: what readers got; compare with {@link
   *     OssStats#bytes()} of {@code get} for the bytes fetched per byte read); 0 for other
   *     operations
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record OpStats(
      long count, double sumSeconds, List<Long> buckets, Map<String, Long> errors, long bytes) {
    public OpStats {
      buckets = buckets == null ? List.of() : List.copyOf(buckets);
      errors = errors == null ? Map.of() : Map.copyOf(errors);
    }

    public long errorCount() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /**
   * One object-store operation.
   *
   * @param requests calls to the store (its own retries inside one call are not counted again)
   * @param errors calls that failed (a "not found" answer to a head is not an error)
   * @param bytes object bytes received
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record OssStats(long requests, long errors, long bytes) {}
}
