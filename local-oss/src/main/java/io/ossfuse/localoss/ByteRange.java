package io.ossfuse.localoss;

/**
 * A satisfiable byte range [first, last] of an object, parsed from a Range header the way OSS does:
 * a malformed or multi-range header is ignored (whole object, 200); a range starting at or past the
 * end is unsatisfiable (416); an end past the object is clamped.
 */
record ByteRange(long first, long last) {
  long length() {
    return last - first + 1;
  }

  /** Thrown for a well-formed but unsatisfiable range. */
  static final class Unsatisfiable extends Exception {
    Unsatisfiable() {
      super(null, null, false, false);
    }
  }

  /** Returns the range, or null to serve the whole object. */
  static ByteRange parse(String header, long size) throws Unsatisfiable {
    if (header == null) {
      return null;
    }
    String h = header.trim();
    if (!h.regionMatches(true, 0, "bytes=", 0, 6) || h.indexOf(',') >= 0) {
      return null;
    }
    String spec = h.substring(6).trim();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    String a = spec.substring(0, dash).trim();
    String b = spec.substring(dash + 1).trim();
    try {
      if (a.isEmpty()) {
        if (b.isEmpty()) {
          return null;
        }
        long n = Long.parseLong(b);
        if (n <= 0 || size == 0) {
          throw new Unsatisfiable();
        }
        return new ByteRange(Math.max(0, size - n), size - 1);
      }
      long first = Long.parseLong(a);
      long last = b.isEmpty() ? Long.MAX_VALUE : Long.parseLong(b);
      if (first < 0 || last < first) {
        return null;
      }
      if (first >= size) {
        throw new Unsatisfiable();
      }
      return new ByteRange(first, Math.min(last, size - 1));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
