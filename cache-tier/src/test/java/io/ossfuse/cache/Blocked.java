package io.ossfuse.cache;

import java.time.Duration;
import java.util.Arrays;

/**
 * Waits until a thread is blocked inside the cache (waiting for a load another thread runs): the
 * event a test needs before it lets that load finish, instead of a sleep that a loaded machine
 * outlasts.
 */
final class Blocked {
  private Blocked() {}

  static void awaitInCache(Thread t, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Thread.State s = t.getState();
      if ((s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING)
          && Arrays.stream(t.getStackTrace())
              .anyMatch(f -> f.getClassName().equals(TieredBlockCache.class.getName()))) {
        return;
      }
      Thread.sleep(1);
    }
    throw new AssertionError(
        t.getName() + " not blocked in the cache within " + timeout + ": " + t.getState());
  }
}
