package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FsException;
import io.ossfuse.fuse.dev.Standby;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standby woken while it still warms up: the wake-up is seen at once, the warm-up stops, and the
 * standby takes over without posting itself ready. In-process: the only test of this JVM that plays
 * a standby (the state is per process, as in a real child).
 */
final class StandbyWakeUpTest {
  @TempDir Path dir;

  @Test
  void aWakeUpDuringTheWarmUpCutsItShort() throws Exception {
    try (Standby owner = Standby.prepare(dir, Standby.PREFIX + "1")) {
      Standby.listen(owner.environment());
      assertFalse(Standby.activationPending(), "not woken yet");
      assertTrue(owner.activate());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Standby.activationPending()) {
        assertTrue(System.nanoTime() < deadline, "the wake-up was never seen");
        Thread.sleep(5); // polling the condition under test, with a deadline
      }
      AtomicInteger lookups = new AtomicInteger();
      PatternFileSystem fs =
          new PatternFileSystem(1 << 20, false, 0, 0) {
            @Override
            public FileAttr lookup(long parent, String name) throws FsException {
              lookups.incrementAndGet();
              return super.lookup(parent, name);
            }
          };
      WarmUp.run(fs, RawFuseConfig.defaults(), 50);
      assertEquals(0, lookups.get(), "no warm-up round after the wake-up");
      Standby.awaitActivation(owner.environment()); // returns at once: woken already
      assertFalse(owner.isReady(), "never posted ready: it was woken before");
      assertTrue(Standby.millisSinceActivation() >= 0);
    }
  }
}
