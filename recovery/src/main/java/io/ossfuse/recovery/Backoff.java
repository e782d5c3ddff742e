package io.ossfuse.recovery;

import java.time.Duration;

/**
 * Restart delays of cold starts. A child that had served (passed a positive probe) and then died,
 * or that was SIGKILLed from outside (the OOM killer, an operator) at any time, is replaced at
 * once, however often: such a death says nothing about its configuration (a request that kills
 * every child is answered alone by the children's poison quarantine), and readers wait while no
 * child serves. Only children that fail on their own before they serve form a crash loop worth
 * slowing down (bad keys, a missing bucket, a broken install, no readiness in time): the first
 * restarts at once, the next wait base, 2*base, 4*base... up to {@code cap}. There is no give-up:
 * the daemon retries forever.
 */
final class Backoff {
  private final Duration base;
  private final Duration cap;
  private int fastFailures;

  Backoff(Duration base, Duration cap) {
    this.base = base;
    this.cap = cap;
  }

  /**
   * Records a child's death; {@code crashLoop}: it failed on its own before it served. Returns how
   * long to wait before the next cold start.
   */
  Duration onFailure(boolean crashLoop) {
    if (!crashLoop) {
      fastFailures = 0;
      return Duration.ZERO;
    }
    fastFailures++;
    if (fastFailures == 1) return Duration.ZERO;
    int shift = Math.min(fastFailures - 2, 30);
    long ms = base.toMillis() << shift;
    if (ms <= 0 || ms > cap.toMillis()) ms = cap.toMillis();
    return Duration.ofMillis(ms);
  }

  /** Children in a row that failed on their own before they served. */
  int fastFailures() {
    return fastFailures;
  }
}
