package io.ossfuse.stats;

import io.ossfuse.cache.CacheStats;
import io.ossfuse.fs.Errno;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The data-path counters of one serving process: filesystem operations with their latency, object
 * store requests, and a view of the block cache. Recording is a few {@link LongAdder} increments,
 * so the hot path pays nothing measurable; {@link #snapshot()} is for a background writer.
 */
public final class MountMetrics {
  /** Latency bucket upper bounds in seconds (100 µs .. 10 s; slower calls land in +Inf). */
  public static final double[] LATENCY_BUCKETS_SECONDS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private final Map<String, Op> fuse = new ConcurrentHashMap<>();
  private final Map<String, Oss> oss = new ConcurrentHashMap<>();
  private final LongSupplier clockMillis;
  private final long startedAtMillis;
  private volatile Supplier<CacheStats> cache;

  public MountMetrics(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
    this.startedAtMillis = clockMillis.getAsLong();
  }

  /** One filesystem call of {@code nanos}; {@code errno} null when it succeeded. */
  public void fuseOp(String op, long nanos, Errno errno) {
    fuse.computeIfAbsent(op, k -> new Op()).record(nanos, errno);
  }

  /** {@code bytes} returned by a successful call of {@code op} (a read's length). */
  public void fuseBytes(String op, long bytes) {
    if (bytes > 0) fuse.computeIfAbsent(op, k -> new Op()).bytes.add(bytes);
  }

  /** One object store call that received {@code bytes} of object data. */
  public void oss(String op, long bytes, boolean error) {
    Oss o = oss.computeIfAbsent(op, k -> new Oss());
    o.requests.increment();
    if (bytes > 0) o.bytes.add(bytes);
    if (error) o.errors.increment();
  }

  /** Where {@link #snapshot()} gets the cache's counters from (null: no cache section). */
  public void cache(Supplier<CacheStats> source) {
    this.cache = source;
  }

  public StatsSnapshot snapshot() {
    Map<String, StatsSnapshot.OpStats> f = new TreeMap<>();
    fuse.forEach((k, v) -> f.put(k, v.stats()));
    Map<String, StatsSnapshot.OssStats> o = new TreeMap<>();
    oss.forEach(
        (k, v) ->
            o.put(k, new StatsSnapshot.OssStats(v.requests.sum(), v.errors.sum(), v.bytes.sum())));
    Supplier<CacheStats> c = cache;
    CacheStats cs = null;
    if (c != null) {
      try {
        cs = c.get();
      } catch (RuntimeException e) {
        // a closing cache: the snapshot goes out without it
      }
    }
    List<Double> bounds = new ArrayList<>();
    for (double b : LATENCY_BUCKETS_SECONDS) bounds.add(b);
    return new StatsSnapshot(
        StatsSnapshot.VERSION,
        ProcessHandle.current().pid(),
        startedAtMillis,
        clockMillis.getAsLong(),
        bounds,
        f,
        o,
        cs);
  }

  private static final class Op {
    final LongAdder count = new LongAdder();
    final LongAdder nanos = new LongAdder();
    final LongAdder[] buckets = new LongAdder[LATENCY_BUCKETS_SECONDS.length + 1];
    final Map<Errno, LongAdder> errors = new ConcurrentHashMap<>();
    final LongAdder bytes = new LongAdder();

    Op() {
      for (int i = 0; i < buckets.length; i++) buckets[i] = new LongAdder();
    }

    void record(long n, Errno errno) {
      count.increment();
      nanos.add(n);
      buckets[bucket(n)].increment();
      if (errno != null) errors.computeIfAbsent(errno, k -> new LongAdder()).increment();
    }

    StatsSnapshot.OpStats stats() {
      List<Long> b = Arrays.stream(buckets).map(LongAdder::sum).toList();
      Map<String, Long> e = new TreeMap<>();
      errors.forEach((k, v) -> e.put(k.name(), v.sum()));
      return new StatsSnapshot.OpStats(count.sum(), nanos.sum() / 1e9, b, e, bytes.sum());
    }
  }

  static int bucket(long nanos) {
    double s = nanos / 1e9;
    for (int i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
      if (s <= LATENCY_BUCKETS_SECONDS[i]) return i;
    }
    return LATENCY_BUCKETS_SECONDS.length;
  }

  private static final class Oss {
    final LongAdder requests = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder bytes = new LongAdder();
  }
}
