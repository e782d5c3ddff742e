package io.ossfuse.oss;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ranges whose read just ran into its deadline, remembered briefly. When a readahead page fails the
 * kernel reads it again at once; without this the reader would wait a second deadline on an
 * endpoint that has just proved stalled. A read of the same range after the window asks the
 * endpoint again.
 */
final class RecentTimeouts {
  private final long windowNanos;
  private final ConcurrentHashMap<String, Long> failedAt = new ConcurrentHashMap<>();

  RecentTimeouts(Duration window) {
    this.windowNanos = window.toNanos();
  }

  static String range(String key, String etag, long offset, int length) {
    return key + '\0' + etag + '\0' + offset + '\0' + length;
  }

  void failed(String range) {
    long now = System.nanoTime();
    failedAt.values().removeIf(t -> now - t > windowNanos);
    failedAt.put(range, now);
  }

  boolean recent(String range) {
    Long t = failedAt.get(range);
    return t != null && System.nanoTime() - t <= windowNanos;
  }
}
