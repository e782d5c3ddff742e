package io.ossfuse.recovery;

import java.time.Duration;

/**
 * Restart delays of cold starts. A child that had served (passed a positive probe) and then died is
 * replaced at once, however often: its death came from outside (a kill, the OOM killer) or from a
 * request, which the children's poison quarantine answers alone, and readers wait while no child
 * serves. Only children that die before they serve form a crash loop worth slowing down (bad keys, a
 * missing bucket, a broken install): the first restarts at once, the next wait base, 2*base, 4*base...
 * up to {@code cap}. There is no give-up: the daemon retries forever.
 */
final class Backoff {
  private final Duration base;
  private final Duration cap;
  private int fastFailures;

  Backoff(Duration base, Duration cap) {
    this.base = base;
    this.cap = cap;
  }

  /** Records the death of a child that had {@code served} or not; returns how long to wait. */
  Duration onFailure(boolean served) {
    if (served) {
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

  /** Children in a row that died before they served. */
  int fastFailures() {
    return fastFailures;
  }
}
