package io.ossfuse.localoss;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How far away the endpoint pretends to be. Real OSS answers each connection at ~100-200 MB/s after
 * a few ms to the first byte; loopback answers at memory speed at once and so hides what parallel
 * requests buy. Both parts are {@code com.sun.net.httpserver.Filter}s in front of the handler
 * ({@link FirstByteLatencyFilter}, {@link BandwidthCapFilter}).
 *
 * @param bytesPerSecond cap of each connection's response bytes (one request at a time on an
 *     HTTP/1.1 connection, so this is also each answer's rate); 0 = no cap
 * @param firstByteLatency delay before each request is handled; zero = none
 */
public record RemoteProfile(long bytesPerSecond, Duration firstByteLatency) {
  /** Loopback as it is. */
  public static final RemoteProfile NONE = new RemoteProfile(0, Duration.ZERO);

  /** The syntax of {@link #parseRate}, for help texts. */
  public static final String RATE_SYNTAX =
      "bytes per second with an optional binary unit, e.g. 150M, 150MiB/s, 2G";

  /** The syntax of {@link #parseLatency}, for help texts. */
  public static final String LATENCY_SYNTAX = "a duration: 5ms, 500us, 0.2s";

  private static final Pattern RATE =
      Pattern.compile(
          "(\\d+(?:\\.\\d+)?)\\s*(?:([KMG])(?:i?B)?|B)?(?:/s)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern LATENCY =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(us|ms|s)", Pattern.CASE_INSENSITIVE);

  public RemoteProfile {
    if (bytesPerSecond < 0)
      throw new IllegalArgumentException("bandwidth must be >= 0 bytes/s, got " + bytesPerSecond);
    if (firstByteLatency == null) firstByteLatency = Duration.ZERO;
    if (firstByteLatency.isNegative())
      throw new IllegalArgumentException(
          "first-byte latency must be >= 0, got " + firstByteLatency);
  }

  public boolean isNone() {
    return bytesPerSecond == 0 && firstByteLatency.isZero();
  }

  /**
   * @throws IllegalArgumentException with a one-line message naming the syntax
   */
  public static long parseRate(String text) {
    Matcher m = RATE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "bandwidth '" + text + "' is not a rate: use " + RATE_SYNTAX);
    }
    double v = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "" : m.group(2).toUpperCase(Locale.ROOT);
    int shift =
        switch (unit) {
          case "K" -> 10;
          case "M" -> 20;
          case "G" -> 30;
          default -> 0;
        };
    return (long) (v * (1L << shift));
  }

  /**
   * @throws IllegalArgumentException with a one-line message naming the syntax
   */
  public static Duration parseLatency(String text) {
    Matcher m = LATENCY.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "latency '" + text + "' is not a duration: use " + LATENCY_SYNTAX);
    }
    double v = Double.parseDouble(m.group(1));
    long nanosPerUnit =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "us" -> 1_000L;
          case "ms" -> 1_000_000L;
          default -> 1_000_000_000L;
        };
    return Duration.ofNanos((long) (v * nanosPerUnit));
  }

  @Override
  public String toString() {
    if (isNone()) return "loopback";
    return (bytesPerSecond > 0
            ? String.format(Locale.ROOT, "%.1f MiB/s per connection", bytesPerSecond / 1048576.0)
            : "no bandwidth cap")
        + ", first byte after "
        + firstByteLatency.toNanos() / 1e6
        + " ms";
  }
}
