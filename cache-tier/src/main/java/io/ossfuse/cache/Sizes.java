package io.ossfuse.cache;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses byte sizes as Fluid users write them. Every unit is binary: {@code 2G}, {@code 2Gi} and
 * {@code 2GiB} all mean 2 * 1024^3 bytes. (Kubernetes reads {@code 2G} as 10^9; for a cache quota
 * the difference is 7 % and one meaning for all spellings is less surprising.)
 */
final class Sizes {
  private static final Pattern SIZE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(?:([KMGTP])I?B?|B)?", Pattern.CASE_INSENSITIVE);

  private Sizes() {}

  /**
   * @return bytes, or -1 when {@code text} is not a size
   */
  static long parse(String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) return -1;
    String prefix = m.group(2) == null ? "" : m.group(2).toUpperCase(Locale.ROOT);
    int shift =
        switch (prefix) {
          case "" -> 0;
          case "K" -> 10;
          case "M" -> 20;
          case "G" -> 30;
          case "T" -> 40;
          default -> 50;
        };
    try {
      BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
      return bytes.setScale(0, java.math.RoundingMode.FLOOR).longValueExact();
    } catch (ArithmeticException tooBig) {
      return -1;
    }
  }

  static String format(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
