package io.ossfuse.packaging;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** The seed's check from the host: reads a file every 50 ms, counting good and failed reads. */
final class ReaderLoop implements AutoCloseable {
  private final Path file;
  private final String expected;
  private final AtomicInteger good = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicReference<String> lastError = new AtomicReference<>();
  private final Thread thread;
  private volatile boolean running = true;

  ReaderLoop(Path file, String expected) {
    this.file = file;
    this.expected = expected;
    this.thread = new Thread(this::loop, "reader-loop");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (running) {
      HostReads.Result r = HostReads.read(file);
      if (r.ok() && r.output().equals(expected)) {
        good.incrementAndGet();
      } else {
        failed.incrementAndGet();
        lastError.set(r.output().strip());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  int good() {
    return good.get();
  }

  int failed() {
    return failed.get();
  }

  String lastError() {
    return lastError.get();
  }

  /** Waits until {@code n} more good reads happened than now. */
  void awaitGoodReads(int n, long timeoutMillis) throws InterruptedException {
    int target = good.get() + n;
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (good.get() < target) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError(
            file + ": no good reads for " + timeoutMillis + " ms; last error: " + lastError.get());
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(15_000);
  }
}
