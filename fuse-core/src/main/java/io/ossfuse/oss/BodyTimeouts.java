package io.ossfuse.oss;

import java.time.Duration;
import java.util.Objects;

/**
 * How long one object read may wait on the endpoint. A read is one or more ranged GETs
 * ("attempts"):
 *
 * @param idle an attempt that receives no byte (headers or body) for this long fails
 * @param hedgeAfter an attempt that receives no byte for this long gets a second ranged GET beside
 *     it; the first to finish wins and the other is aborted
 * @param deadline the read fails (EIO) when it is not complete this long after it started
 */
public record BodyTimeouts(Duration idle, Duration hedgeAfter, Duration deadline) {
  public static final Duration DEFAULT_IDLE = Duration.ofSeconds(5);
  public static final Duration DEFAULT_HEDGE_AFTER = Duration.ofSeconds(1);
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(20);
  public static final BodyTimeouts DEFAULTS =
      new BodyTimeouts(DEFAULT_IDLE, DEFAULT_HEDGE_AFTER, DEFAULT_DEADLINE);

  public BodyTimeouts {
    Objects.requireNonNull(idle, "idle");
    Objects.requireNonNull(hedgeAfter, "hedgeAfter");
    Objects.requireNonNull(deadline, "deadline");
    if (idle.toMillis() < 1 || hedgeAfter.toMillis() < 1 || deadline.toMillis() < 1) {
      throw new IllegalArgumentException("read timeouts must be >= 1 ms");
    }
  }

  /** The defaults with another deadline; the idle timeout never exceeds it. */
  public static BodyTimeouts withDeadline(Duration deadline) {
    Duration idle = DEFAULT_IDLE.compareTo(deadline) > 0 ? deadline : DEFAULT_IDLE;
    return new BodyTimeouts(idle, DEFAULT_HEDGE_AFTER, deadline);
  }
}
