package io.ossfuse.localoss;

import com.sun.net.httpserver.Headers;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** If-Match / If-None-Match / If-(Un)Modified-Since for GetObject and HeadObject. */
final class Preconditions {
  private Preconditions() {}

  /**
   * Returns 412, 304 or 0 following OSS: If-Match / If-Unmodified-Since first, then the 304 checks.
   */
  static int evaluate(Headers in, String etag, long mtimeMillis) {
    String ifMatch = in.getFirst("If-Match");
    if (ifMatch != null && !etagListMatches(ifMatch, etag)) {
      return 412;
    }
    long mtimeSec = mtimeMillis / 1000;
    Long unmodSince = httpDate(in.getFirst("If-Unmodified-Since"));
    if (unmodSince != null && mtimeSec > unmodSince) {
      return 412;
    }
    String ifNoneMatch = in.getFirst("If-None-Match");
    if (ifNoneMatch != null) {
      return etagListMatches(ifNoneMatch, etag) ? 304 : 0;
    }
    Long modSince = httpDate(in.getFirst("If-Modified-Since"));
    if (modSince != null && mtimeSec <= modSince) {
      return 304;
    }
    return 0;
  }

  private static boolean etagListMatches(String header, String etag) {
    for (String t : header.split(",")) {
      String v = t.trim();
      if (v.startsWith("W/")) {
        v = v.substring(2);
      }
      if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
        v = v.substring(1, v.length() - 1);
      }
      if (v.equals("*") || v.equalsIgnoreCase(etag)) {
        return true;
      }
    }
    return false;
  }

  private static Long httpDate(String v) {
    if (v == null) {
      return null;
    }
    try {
      return ZonedDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
