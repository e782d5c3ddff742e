package io.ossfuse.recovery;

import java.time.Duration;

/**
 * Restart delays: the first failure restarts at once; repeated fast failures (the child lived less
 * than {@code stableAfter}) wait base, 2*base, 4*base... up to {@code cap}; a child that ran stable
 * resets the sequence. There is no give-up: the daemon retries forever.
 */
final class Backoff {
  private final Duration base;
  private final Duration cap;
  private final Duration stableAfter;
  private int fastFailures;

  Backoff(Duration base, Duration cap, Duration stableAfter) {
    this.base = base;
    this.cap = cap;
    this.stableAfter = stableAfter;
  }

  /** Records a failure of a child that lived {@code lifetime}; returns how long to wait. */
  Duration onFailure(Duration lifetime) {
    if (lifetime.compareTo(stableAfter) >= 0) fastFailures = 0;
    fastFailures++;
    if (fastFailures == 1) return Duration.ZERO;
    int shift = Math.min(fastFailures - 2, 30);
    long ms = base.toMillis() << shift;
    if (ms <= 0 || ms > cap.toMillis()) ms = cap.toMillis();
    return Duration.ofMillis(ms);
  }

  int fastFailures() {
    return fastFailures;
  }
}
