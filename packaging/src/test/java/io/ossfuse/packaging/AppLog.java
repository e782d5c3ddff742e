package io.ossfuse.packaging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.GenericContainer;

/**
 * What an app container's {@code ls -l} loop saw, from its log: lines {@code <epoch ms> ok <path>}
 * or {@code <epoch ms> err <path> <error>} (the container shares the host's clock).
 */
final class AppLog {
  private AppLog() {}

  record Line(long atMs, boolean ok, String path, String text) {}

  /**
   * Over one kind of kill: the error lines, and the longest time between two good listings of a
   * path.
   */
  record Phase(int errors, List<String> errorLines, long longestGapMs, String note) {
    @Override
    public String toString() {
      return errors
          + " error lines"
          + (errors == 0 ? "" : " (first: " + errorLines.get(0) + ")")
          + ", longest gap between good listings "
          + longestGapMs
          + " ms"
          + note;
    }
  }

  static List<Line> lines(GenericContainer<?> app) {
    List<Line> out = new ArrayList<>();
    for (String l : app.getLogs().split("\n")) {
      String[] f = l.strip().split(" ", 4);
      if (f.length < 3 || !(f[1].equals("ok") || f[1].equals("err"))) continue;
      try {
        out.add(new Line(Long.parseLong(f[0]), f[1].equals("ok"), f[2], l.strip()));
      } catch (NumberFormatException notALoopLine) {
        // e.g. a shell message
      }
    }
    return out;
  }

  /**
   * Waits until every path listed fine at or after {@code sinceMs}; the time of the last of those.
   */
  static long awaitOk(GenericContainer<?> app, long sinceMs, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Line> lines = List.of();
    while (System.nanoTime() < deadline) {
      lines = lines(app);
      long okData = firstOk(lines, "/data", sinceMs);
      long okSub = firstOk(lines, "/sub", sinceMs);
      if (okData > 0 && okSub > 0) return Math.max(okData, okSub);
      Thread.sleep(200);
    }
    throw new AssertionError(
        "the app did not list /data and /sub within "
            + timeout
            + "; its last lines: "
            + lines.subList(Math.max(0, lines.size() - 6), lines.size()).stream()
                .map(Line::text)
                .toList());
  }

  private static long firstOk(List<Line> lines, String path, long sinceMs) {
    for (Line l : lines) {
      if (l.ok() && l.path().equals(path) && l.atMs() >= sinceMs) return l.atMs();
    }
    return -1;
  }

  /**
   * Errors from {@code fromMs} to {@code toMs}; gaps counted from each path's last good listing
   * before {@code fromMs}.
   */
  static Phase phase(GenericContainer<?> app, long fromMs, long toMs) {
    List<Line> lines = lines(app);
    List<String> errors = new ArrayList<>();
    long longest = 0;
    for (String path : List.of("/data", "/sub")) {
      long prev = -1;
      for (Line l : lines) {
        if (!l.path().equals(path) || l.atMs() > toMs) continue;
        if (!l.ok() && l.atMs() >= fromMs) errors.add(l.text());
        if (!l.ok()) continue;
        if (l.atMs() < fromMs) {
          prev = l.atMs();
          continue;
        }
        if (prev > 0) longest = Math.max(longest, l.atMs() - prev);
        prev = l.atMs();
      }
    }
    return new Phase(errors.size(), errors, longest, "");
  }
}
