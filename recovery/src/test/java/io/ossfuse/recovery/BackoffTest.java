package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static final boolean NEVER_SERVED = true;
  private static final boolean SERVED = false;

  @Test
  void firstFailureRestartsAtOnceThenDoublesUpToTheCap() {
    Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));
    long[] expected = {0, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
    for (long ms : expected) assertEquals(Duration.ofMillis(ms), b.onFailure(NEVER_SERVED));
    for (int i = 0; i < 100; i++)
      assertEquals(Duration.ofSeconds(30), b.onFailure(NEVER_SERVED), "no overflow, no give-up");
  }

  @Test
  void aChildThatServedResetsTheSequence() {
    Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));
    b.onFailure(NEVER_SERVED);
    b.onFailure(NEVER_SERVED);
    assertEquals(Duration.ofMillis(1000), b.onFailure(NEVER_SERVED));
    assertEquals(Duration.ZERO, b.onFailure(SERVED));
    assertEquals(Duration.ZERO, b.onFailure(NEVER_SERVED));
    assertEquals(Duration.ofMillis(500), b.onFailure(NEVER_SERVED));
  }

  /** Repeated kills (the OOM killer, a crash torture) never wait: issue 10. */
  @Test
  void childrenKilledAfterServingAreReplacedAtOnceHoweverOften() {
    Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30));
    for (int i = 0; i < 100; i++) assertEquals(Duration.ZERO, b.onFailure(SERVED), "kill " + i);
    assertEquals(0, b.fastFailures());
  }
}
