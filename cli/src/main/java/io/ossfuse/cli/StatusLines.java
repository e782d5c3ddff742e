package io.ossfuse.cli;

import io.ossfuse.recovery.MountStats;
import io.ossfuse.recovery.RecoveryHistory;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The at-a-glance lines under a mount in {@code ossfuse status}: data path and recovery history.
 */
final class StatusLines {
  /** Recoveries shown in the table (--json has all the daemon keeps). */
  static final int SHOWN_RECOVERIES = 3;

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  private StatusLines() {}

  /** Indented lines (each ending in a newline), or "" when there is nothing to show. */
  static String of(MountStats s) {
    if (s == null) return "";
    StringBuilder b = new StringBuilder();
    MountStats.DataPath d = s.dataPath();
    if (d != null) {
      List<String> parts = new ArrayList<>();
      if (d.cache() != null) {
        MountStats.Cache c = d.cache();
        parts.add(
            (c.quotaBytes() == 0 && c.usedBytes() == 0
                    ? "cache: default in-memory" // no levels: its blocks are in the heap
                    : "cache "
                        + bytes(c.usedBytes())
                        + " of "
                        + bytes(c.quotaBytes())
                        + (c.quotaBytes() > 0
                            ? String.format(
                                Locale.ROOT, " (%.0f%%)", 100.0 * c.usedBytes() / c.quotaBytes())
                            : ""))
                + ", hit ratio "
                + (c.hitRatio() == null
                    ? "-"
                    : String.format(Locale.ROOT, "%.1f%%", 100 * c.hitRatio()))
                + " ("
                + c.hits()
                + " hits, "
                + c.misses()
                + " misses, "
                + c.evictions()
                + " evictions)");
      } else {
        parts.add("cache: default in-memory (no counters)");
      }
      parts.add(
          "fuse "
              + d.fuseOps()
              + " ops, "
              + d.fuseErrors()
              + " errors"
              + (d.passthroughOpens() > 0
                  ? ", " + d.passthroughOpens() + " passthrough opens"
                  : ""));
      parts.add(
          "oss "
              + d.ossRequests()
              + " requests, "
              + d.ossErrors()
              + " errors, "
              + bytes(d.ossBytes()));
      b.append("    ").append(String.join("; ", parts));
      if (d.ageMs() > 10_000) b.append("; stats ").append(d.ageMs() / 1000).append("s old");
      b.append('\n');
    }
    List<RecoveryHistory.Event> r = s.recoveries();
    if (!r.isEmpty()) {
      b.append("    recoveries:");
      for (int i = 0; i < Math.min(SHOWN_RECOVERIES, r.size()); i++) {
        RecoveryHistory.Event e = r.get(i);
        b.append(i == 0 ? " " : "; ")
            .append(TIME.format(Instant.ofEpochMilli(e.atMillis())))
            .append(' ')
            .append(e.durationMs())
            .append("ms (")
            .append(e.cause())
            .append(')');
      }
      if (r.size() > SHOWN_RECOVERIES)
        b.append("; ").append(r.size() - SHOWN_RECOVERIES).append(" earlier");
      b.append('\n');
    }
    return b.toString();
  }

  static String bytes(long n) {
    if (n < 1024) return n + " B";
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
  }
}
