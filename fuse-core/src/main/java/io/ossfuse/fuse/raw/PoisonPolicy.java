package io.ossfuse.fuse.raw;

import java.time.Duration;
import java.util.Objects;

/**
 * When a request counts as poison ({@link PoisonGuard}).
 *
 * @param crashes a request in flight at this many crashes of the serving child in a row is
 *     quarantined (2: the crash that revealed it, and the next child's, which served it alone)
 * @param quarantine how long a quarantined request is answered EIO at once
 * @param survival a child serving this long without a crash resets the crash counts
 */
public record PoisonPolicy(int crashes, Duration quarantine, Duration survival) {
  public PoisonPolicy {
    if (crashes < 1) {
      throw new IllegalArgumentException("crashes=" + crashes + " must be at least 1");
    }
    Objects.requireNonNull(quarantine, "quarantine");
    Objects.requireNonNull(survival, "survival");
  }

  /** 2 crashes in a row, 10 minutes of quarantine, counts reset after 10 s without a crash. */
  public static PoisonPolicy defaults() {
    return new PoisonPolicy(2, Duration.ofMinutes(10), Duration.ofSeconds(10));
  }
}
