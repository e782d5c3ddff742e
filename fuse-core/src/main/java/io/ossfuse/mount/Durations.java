package io.ossfuse.mount;

import java.time.Duration;
import java.util.Locale;

/**
 * Durations as users write them: {@code 1500ms}, {@code 2s}, {@code 2.5s}, {@code 1m}, or plain
 * seconds.
 */
public final class Durations {
  private Durations() {}

  /** IllegalArgumentException (one line) when {@code s} is not such a duration or is negative. */
  public static Duration parse(String s) {
    String v = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
    try {
      Duration d;
      if (v.endsWith("ms"))
        d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).strip()));
      else if (v.endsWith("s")) d = seconds(v.substring(0, v.length() - 1));
      else if (v.endsWith("m")) d = seconds(v.substring(0, v.length() - 1)).multipliedBy(60);
      else d = seconds(v);
      if (d.isNegative()) throw new NumberFormatException();
      return d;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("'" + s + "' is not a duration: use e.g. 1500ms, 20s, 1m");
    }
  }

  private static Duration seconds(String v) {
    double d = Double.parseDouble(v.strip());
    if (Double.isNaN(d) || Double.isInfinite(d)) throw new NumberFormatException();
    return Duration.ofMillis(Math.round(d * 1000));
  }
}
