package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final Duration FAST = Duration.ofMillis(100);
  private static final Duration STABLE = Duration.ofSeconds(60);

  @Test
  void firstFailureRestartsAtOnceThenDoublesUpToTheCap() {
    Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(30));
    long[] expected = {0, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
    for (long ms : expected) assertEquals(Duration.ofMillis(ms), b.onFailure(FAST));
    for (int i = 0; i < 100; i++) assertEquals(Duration.ofSeconds(30), b.onFailure(Duration.ZERO), "no overflow, no give-up");
  }

  @Test
  void aStableRunResetsTheSequence() {
    Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(30));
    b.onFailure(FAST);
    b.onFailure(FAST);
    assertEquals(Duration.ofMillis(1000), b.onFailure(FAST));
    assertEquals(Duration.ZERO, b.onFailure(STABLE));
    assertEquals(Duration.ofMillis(500), b.onFailure(FAST));
  }
}
