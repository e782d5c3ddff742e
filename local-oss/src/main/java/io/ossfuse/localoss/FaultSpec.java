package io.ossfuse.localoss;

import java.time.Duration;
import java.util.Locale;

/**
 * Body faults written as text, for command lines ({@code ossfuse local-oss --fault}): each applies
 * to every GET of an object (of one key with {@code @KEY}) until the server stops.
 *
 * <pre>
 * stall:BYTES:DURATION     send BYTES of each body, pause DURATION, then the rest
 * stall:BYTES              send BYTES of each body, then nothing (the connection stays open)
 * delay:DURATION           answer each GET DURATION late (headers and first byte)
 * close-delimited[:BYTES]  no Content-Length; end the body by closing (after BYTES bytes if given)
 * status:CODE              answer each GET with this 4xx/5xx error
 * </pre>
 *
 * DURATION: {@code 500ms}, {@code 30s}, {@code 2m}. E.g. {@code stall:65536@big.bin}.
 */
public final class FaultSpec {
  public static final String SYNTAX =
      "stall:BYTES[:DURATION], delay:DURATION, close-delimited[:BYTES] or status:CODE,"
          + " optionally followed by @KEY";

  private FaultSpec() {}

  /**
   * Adds the rule {@code spec} describes to {@code faults}; IllegalArgumentException (one line) if
   * malformed.
   */
  public static void apply(Faults faults, String spec) {
    String s = spec.strip();
    String key = null;
    int at = s.indexOf('@');
    if (at >= 0) {
      key = s.substring(at + 1);
      s = s.substring(0, at);
      if (key.isEmpty()) {
        throw bad(spec);
      }
    }
    String[] p = s.split(":", -1);
    Faults.Rule r = faults.always().op(OssOperation.GET);
    if (key != null) {
      r.key(key);
    }
    try {
      switch (p[0].toLowerCase(Locale.ROOT)) {
        case "stall" -> {
          if (p.length == 2) {
            r.stallBodyForever(Long.parseLong(p[1]));
          } else if (p.length == 3) {
            r.stallBodyAfter(Long.parseLong(p[1]), duration(p[2]));
          } else {
            throw bad(spec);
          }
        }
        case "delay" -> {
          if (p.length != 2) {
            throw bad(spec);
          }
          r.delay(duration(p[1]));
        }
        case "close-delimited" -> {
          if (p.length == 1) {
            r.closeDelimitedBody();
          } else if (p.length == 2) {
            r.closeDelimitedBody(Long.parseLong(p[1]));
          } else {
            throw bad(spec);
          }
        }
        case "status" -> {
          if (p.length != 2) {
            throw bad(spec);
          }
          r.status(Integer.parseInt(p[1]));
        }
        default -> throw bad(spec);
      }
    } catch (NumberFormatException e) {
      throw bad(spec);
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("fault '")) {
        throw e;
      }
      throw new IllegalArgumentException("fault '" + spec + "': " + e.getMessage(), e);
    }
  }

  private static Duration duration(String v) {
    String d = v.strip().toLowerCase(Locale.ROOT);
    if (d.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(d.substring(0, d.length() - 2)));
    }
    if (d.endsWith("s")) {
      return Duration.ofMillis(
          Math.round(Double.parseDouble(d.substring(0, d.length() - 1)) * 1000));
    }
    if (d.endsWith("m")) {
      return Duration.ofMinutes(Long.parseLong(d.substring(0, d.length() - 1)));
    }
    throw new NumberFormatException(v);
  }

  private static IllegalArgumentException bad(String spec) {
    return new IllegalArgumentException("fault '" + spec + "' is not one of: " + SYNTAX);
  }
}
