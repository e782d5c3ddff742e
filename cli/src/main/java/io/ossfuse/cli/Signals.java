package io.ossfuse.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * SIGTERM/SIGINT as a latch, so a foreground command can clean up and exit 0 instead of the JVM's
 * 143/130 from its default signal handling.
 */
final class Signals {
  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile String received;

  static Signals install() {
    Signals s = new Signals();
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(
          new Signal(name),
          sig -> {
            s.received = "SIG" + sig.getName();
            s.stop.countDown();
          });
    }
    return s;
  }

  /** Waits up to {@code millis} for a stop signal; true when one came. */
  boolean await(long millis) throws InterruptedException {
    return stop.await(millis, TimeUnit.MILLISECONDS);
  }

  String received() {
    return received;
  }

  /** Lets tests and other threads request the same clean stop. */
  void trigger() {
    received = "request";
    stop.countDown();
  }
}
