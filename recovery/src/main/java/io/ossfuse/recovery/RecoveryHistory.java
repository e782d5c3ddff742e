package io.ossfuse.recovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every recovery of every mount since the daemon started: the last {@link #KEEP} events per mount
 * for {@code ossfuse status}, and a duration histogram for {@code /metrics}. Each recovery also
 * logs one structured line (logger {@code ossfuse.recovery-event}) that a log pipeline can parse:
 *
 * <pre>recovery-event mount=/mnt/x duration_ms=412 recoveries=3 cause="child 1234: SIGKILL"</pre>
 */
public final class RecoveryHistory {
  /** Events kept per mount. */
  public static final int KEEP = 10;

  /** Recovery duration bucket upper bounds in seconds (+Inf implied). */
  static final double[] BUCKETS_SECONDS = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

  private static final Logger events = LoggerFactory.getLogger("ossfuse.recovery-event");
  private static final RecoveryHistory GLOBAL = new RecoveryHistory(System::currentTimeMillis);

  private final LongSupplier clockMillis;
  private final Map<String, PerMount> mounts = new ConcurrentHashMap<>();

  RecoveryHistory(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
  }

  /** The daemon's history (one daemon per process). */
  public static RecoveryHistory global() {
    return GLOBAL;
  }

  /**
   * One incident over: {@code mountpoint} serves again {@code durationMs} after the failure was
   * detected. {@code cause} is the supervisor's one-line reason (pids and signals, never options).
   */
  public void recovered(String mountpoint, String cause, long durationMs) {
    PerMount p = mounts.computeIfAbsent(mountpoint, k -> new PerMount());
    Event e = new Event(clockMillis.getAsLong(), cause, durationMs);
    long n;
    synchronized (p) {
      p.recent.addFirst(e);
      while (p.recent.size() > KEEP) p.recent.removeLast();
      p.count++;
      p.sumSeconds += durationMs / 1000.0;
      p.buckets[bucket(durationMs)]++;
      n = p.count;
    }
    events.info(
        "recovery-event mount={} duration_ms={} recoveries={} cause=\"{}\"",
        mountpoint,
        durationMs,
        n,
        cause == null ? "" : cause.replace('"', '\''));
  }

  /** Forgets a mount that was unmounted. */
  public void forget(String mountpoint) {
    mounts.remove(mountpoint);
  }

  /** The most recent events first; empty if the mount never recovered. */
  public List<Event> recent(String mountpoint) {
    PerMount p = mounts.get(mountpoint);
    if (p == null) return List.of();
    synchronized (p) {
      return List.copyOf(p.recent);
    }
  }

  /** Histogram of one mount: non-cumulative counts per bucket (+Inf last), sum; null if none. */
  Histogram histogram(String mountpoint) {
    PerMount p = mounts.get(mountpoint);
    if (p == null) return null;
    synchronized (p) {
      return new Histogram(p.buckets.clone(), p.sumSeconds, p.count);
    }
  }

  static int bucket(long ms) {
    double s = ms / 1000.0;
    for (int i = 0; i < BUCKETS_SECONDS.length; i++) {
      if (s <= BUCKETS_SECONDS[i]) return i;
    }
    return BUCKETS_SECONDS.length;
  }

  /**
   * One recovery.
   *
   * @param atMillis when the mount served again (epoch ms)
   * @param cause why it had failed
   * @param durationMs failure detected → serving again with every target re-attached
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Event(long atMillis, String cause, long durationMs) {}

  record Histogram(long[] buckets, double sumSeconds, long count) {}

  private static final class PerMount {
    final Deque<Event> recent = new ArrayDeque<>();
    final long[] buckets = new long[BUCKETS_SECONDS.length + 1];
    long count;
    double sumSeconds;
  }

  @Override
  public String toString() {
    return "RecoveryHistory" + new ArrayList<>(mounts.keySet());
  }
}
