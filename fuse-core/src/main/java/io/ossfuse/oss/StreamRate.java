package io.ossfuse.oss;

/**
 * What one connection delivers, from recent GETs (request to last byte, first-byte latency
 * included): decides whether a body is worth fetching in parts. Loopback gives one stream ~1-2 GB/s
 * and parts only cost CPU there; a real OSS endpoint gives one stream ~100-200 MB/s and parts
 * multiply that.
 */
final class StreamRate {
  /** One stream at least this fast (bytes/s) makes parts pointless. */
  static final double ENOUGH = 400e6;

  /** Shorter bodies say more about latency than about the stream's rate. */
  static final long MIN_SAMPLE = 512 * 1024;

  private static final double WEIGHT = 0.25;

  /**
   * Exponentially weighted bytes/s; 0 until the first sample. Updates may race: it is an estimate.
   */
  private volatile double rate;

  private volatile boolean pinned;

  void record(long bytes, long nanos) {
    if (bytes < MIN_SAMPLE || nanos <= 0 || pinned) return;
    double r = bytes * 1e9 / nanos;
    double old = rate;
    rate = old == 0 ? r : old + WEIGHT * (r - old);
  }

  /** Parts pay off: a stream was measured and it is slow. The first GETs go whole, and measure. */
  boolean slow() {
    double r = rate;
    return r > 0 && r < ENOUGH;
  }

  /** For tests: the rate is {@code bytesPerSecond} from now on, whatever GETs measure. */
  void pin(double bytesPerSecond) {
    rate = bytesPerSecond;
    pinned = true;
  }

  double bytesPerSecond() {
    return rate;
  }
}
