package io.ossfuse.recovery;

import io.ossfuse.cache.CacheStats;
import io.ossfuse.cache.LevelStats;
import io.ossfuse.stats.SnapshotFiles;
import io.ossfuse.stats.StatsSnapshot;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.StateSetSnapshot;
import io.prometheus.metrics.model.snapshots.StateSetSnapshot.StateSetDataPointSnapshot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Turns the daemon's view of its mounts, the recovery history and each live child's stats file into
 * Prometheus metrics at scrape time (nothing is kept between scrapes). Every per-mount metric has a
 * {@code mount} label (the mountpoint); sources and transports only appear on {@code
 * ossfuse_mount_info}. No label or value ever carries mount options, so no credential can leak.
 *
 * <p>Data-path metrics (FUSE, OSS, cache) come from the child's snapshot and are shown only while
 * the snapshot belongs to the mount's current child (same pid): the numbers of a dead child are not
 * presented as live. They count since that child started, like any process's counters.
 */
final class MetricsCollector implements MultiCollector {
  /** The names of the mount lifecycle states, in order. */
  static final List<String> STATES = Arrays.stream(MountState.values()).map(Enum::name).toList();

  private final Supplier<List<MountView>> mounts;
  private final RecoveryHistory history;
  private final LongSupplier clockMillis;

  MetricsCollector(
      Supplier<List<MountView>> mounts, RecoveryHistory history, LongSupplier clockMillis) {
    this.mounts = mounts;
    this.history = history;
    this.clockMillis = clockMillis;
  }

  @Override
  public MetricSnapshots collect() {
    Families f = new Families();
    List<MountView> views = mounts.get();
    f.gauge(
        "ossfuse_daemon_mounts", "Mounts supervised by this daemon.", Labels.EMPTY, views.size());
    for (MountView v : views) {
      Labels m = Labels.of("mount", v.mountpoint());
      f.info(
          "ossfuse_mount",
          "One mount: its source, transport and driver (value 1).",
          Labels.of(
              "mount",
              v.mountpoint(),
              "source",
              v.source(),
              "transport",
              String.valueOf(v.transport()),
              "driver",
              String.valueOf(v.driver())));
      f.state(
          "ossfuse_mount_state",
          "Lifecycle state of the mount (1 for the current state).",
          m,
          v.state());
      f.gauge(
          "ossfuse_mount_healthy",
          "1 while the mount is HEALTHY (positive probe), else 0.",
          m,
          MountState.HEALTHY.name().equals(v.state()) ? 1 : 0);
      f.gauge(
          "ossfuse_mount_uptime_seconds",
          "Time since the current child became healthy.",
          m,
          v.uptimeMs() / 1000.0);
      f.counter(
          "ossfuse_mount_restarts",
          "Children started after a failure since the daemon started.",
          m,
          v.restarts());
      RecoveryHistory.Histogram h = history.histogram(v.mountpoint());
      f.histogram(
          "ossfuse_recovery_duration_seconds",
          "Failure detected to serving again with every target re-attached.",
          m,
          RecoveryHistory.BUCKETS_SECONDS,
          h == null ? new long[RecoveryHistory.BUCKETS_SECONDS.length + 1] : h.buckets(),
          h == null ? 0 : h.sumSeconds());
      live(v).ifPresent(s -> dataPath(f, m, s));
    }
    return f.build();
  }

  /** The child's snapshot if it is the current child's. */
  private Optional<StatsSnapshot> live(MountView v) {
    if (v.childPid() == null || v.statsFile() == null) return Optional.empty();
    return SnapshotFiles.read(v.statsFile()).filter(s -> s.pid() == v.childPid());
  }

  private void dataPath(Families f, Labels m, StatsSnapshot s) {
    f.gauge(
        "ossfuse_stats_age_seconds",
        "Age of the child's last stats snapshot (written every 2 s).",
        m,
        Math.max(0, clockMillis.getAsLong() - s.takenAtMillis()) / 1000.0);
    double[] bounds = s.latencyBucketsSeconds().stream().mapToDouble(Double::doubleValue).toArray();
    s.fuse()
        .forEach(
            (op, o) -> {
              Labels l = m.add("op", op);
              f.counter(
                  "ossfuse_fuse_ops", "Filesystem operations served, by operation.", l, o.count());
              if (o.bytes() > 0)
                f.counter(
                    "ossfuse_fuse_read_bytes",
                    "Bytes returned to readers, by operation (read).",
                    l,
                    o.bytes());
              o.errors()
                  .forEach(
                      (errno, n) ->
                          f.counter(
                              "ossfuse_fuse_errors",
                              "Filesystem operations answered with an error, by operation and errno.",
                              l.add("errno", errno),
                              n));
              if (o.buckets().size() == bounds.length + 1) {
                f.histogram(
                    "ossfuse_fuse_op_duration_seconds",
                    "Time the filesystem took per operation.",
                    l,
                    bounds,
                    o.buckets().stream().mapToLong(Long::longValue).toArray(),
                    o.sumSeconds());
              }
            });
    s.oss()
        .forEach(
            (op, o) -> {
              Labels l = m.add("op", op);
              f.counter(
                  "ossfuse_oss_requests",
                  "Object store calls, by operation (list, head, get).",
                  l,
                  o.requests());
              f.counter(
                  "ossfuse_oss_errors",
                  "Object store calls that failed after the client's retries.",
                  l,
                  o.errors());
              f.counter(
                  "ossfuse_oss_received_bytes",
                  "Object bytes received from the object store.",
                  l,
                  o.bytes());
            });
    CacheStats c = s.cache();
    if (c == null) return;
    f.counter("ossfuse_cache_hits", "Reads served from a cached block.", m, c.hits());
    f.counter("ossfuse_cache_misses", "Reads that had to load the block from OSS.", m, c.misses());
    f.counter(
        "ossfuse_cache_coalesced",
        "Reads that waited for another read's load of the same block.",
        m,
        c.coalesced());
    f.counter(
        "ossfuse_cache_evictions", "Blocks that left a level to make room.", m, c.evictions());
    f.counter(
        "ossfuse_cache_demotions",
        "Evicted blocks moved to a lower level instead of deleted.",
        m,
        c.demotions());
    f.counter(
        "ossfuse_cache_promotions",
        "Blocks moved to the top level after a hit below it.",
        m,
        c.promotions());
    f.counter("ossfuse_cache_loaded_bytes", "Bytes the cache loaded from OSS.", m, c.bytesLoaded());
    f.counter("ossfuse_cache_load_errors", "Block loads that failed.", m, c.loadErrors());
    f.counter(
        "ossfuse_cache_corrupt_blocks",
        "Cached blocks dropped on a header or checksum mismatch.",
        m,
        c.corruptBlocks());
    f.counter(
        "ossfuse_cache_io_errors", "Local cache I/O errors turned into misses.", m, c.ioErrors());
    for (int i = 0; i < c.levels().size(); i++) {
      LevelStats ls = c.levels().get(i);
      Labels l = m.add("level", Integer.toString(i)).add("medium", String.valueOf(ls.mediumType()));
      f.gauge(
          "ossfuse_cache_level_used_bytes",
          "Bytes used in a cache level (block files and reservations).",
          l,
          ls.usedBytes());
      f.gauge(
          "ossfuse_cache_level_quota_bytes",
          "Effective quota of a cache level.",
          l,
          ls.quotaBytes());
      f.gauge(
          "ossfuse_cache_level_high_watermark_ratio",
          "Eviction starts above this share of the quota.",
          l,
          ls.high());
      f.gauge(
          "ossfuse_cache_level_low_watermark_ratio",
          "Eviction stops below this share of the quota.",
          l,
          ls.low());
      f.gauge("ossfuse_cache_level_blocks", "Blocks held by a cache level.", l, ls.blocks());
      f.counter("ossfuse_cache_level_hits", "Reads served by a cache level.", l, ls.hits());
      f.counter(
          "ossfuse_cache_level_evictions",
          "Blocks that left a cache level to make room.",
          l,
          ls.evictions());
    }
  }

  /** Collects data points per metric family, in first-seen order. */
  private static final class Families {
    private final Map<String, Family<?>> byName = new LinkedHashMap<>();

    /**
     * The family {@code name}; {@code snapshot} (a snapshot constructor) fixes its kind and point
     * type.
     */
    @SuppressWarnings("unchecked") // a family's name always comes with the same kind
    private <P extends DataPointSnapshot> List<P> points(
        String name,
        String help,
        BiFunction<MetricMetadata, Collection<P>, MetricSnapshot> snapshot) {
      return ((Family<P>)
              byName.computeIfAbsent(
                  name,
                  n -> new Family<>(new MetricMetadata(n, help), new ArrayList<P>(), snapshot)))
          .points();
    }

    void gauge(String name, String help, Labels l, double v) {
      points(name, help, GaugeSnapshot::new)
          .add(GaugeDataPointSnapshot.builder().labels(l).value(v).build());
    }

    void counter(String name, String help, Labels l, double v) {
      points(name, help, CounterSnapshot::new)
          .add(CounterDataPointSnapshot.builder().labels(l).value(v).build());
    }

    void info(String name, String help, Labels l) {
      points(name, help, InfoSnapshot::new).add(InfoDataPointSnapshot.builder().labels(l).build());
    }

    void state(String name, String help, Labels l, String current) {
      StateSetDataPointSnapshot.Builder b = StateSetDataPointSnapshot.builder().labels(l);
      for (String s : STATES) b.state(s, s.equals(current));
      points(name, help, StateSetSnapshot::new).add(b.build());
    }

    void histogram(String name, String help, Labels l, double[] bounds, long[] counts, double sum) {
      double[] ub = new double[bounds.length + 1];
      System.arraycopy(bounds, 0, ub, 0, bounds.length);
      ub[bounds.length] = Double.POSITIVE_INFINITY;
      this.<HistogramDataPointSnapshot>points(name, help, HistogramSnapshot::new)
          .add(
              HistogramDataPointSnapshot.builder()
                  .labels(l)
                  .sum(sum)
                  .classicHistogramBuckets(ClassicHistogramBuckets.of(ub, counts))
                  .build());
    }

    MetricSnapshots build() {
      List<MetricSnapshot> out = new ArrayList<>();
      for (Family<?> f : byName.values()) out.add(f.snapshot());
      return new MetricSnapshots(out);
    }
  }

  /** One metric family: its name and help, its points, and the snapshot of its kind. */
  private record Family<P extends DataPointSnapshot>(
      MetricMetadata metadata,
      List<P> points,
      BiFunction<MetricMetadata, Collection<P>, MetricSnapshot> kind) {
    MetricSnapshot snapshot() {
      return kind.apply(metadata, points);
    }
  }
}
