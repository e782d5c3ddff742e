package io.ossfuse.recovery;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The seed's manual check, automated: every 100 ms, {@code ls -l DIR && cat DIR/FILE} in a
 * subprocess (so a hung mount costs the loop a timeout, not a thread), comparing the bytes.
 */
final class ReaderLoop implements AutoCloseable {
  record Read(long atNanos, long tookNanos, boolean ok, String detail) {}

  private final Duration timeout;
  private final Path dir;
  private final List<String> command;
  private final String expected;
  private final long intervalMillis;
  private final List<Read> reads = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  ReaderLoop(Path dir, String file, String expected) {
    this(dir, file, expected, Duration.ofSeconds(2));
  }

  /**
   * @param timeout a read slower than this counts as failed (a pause longer than an app would wait)
   */
  ReaderLoop(Path dir, String file, String expected, Duration timeout) {
    this(
        dir,
        List.of("sh", "-c", "ls -l \"$1\" >/dev/null && cat \"$1/$2\"", "sh", dir.toString(), file),
        expected,
        timeout,
        100);
  }

  /**
   * {@code ls -l DIR && sha256sum < DIR/FILE} every {@code intervalMillis}: for files larger than a
   * pipe buffer. {@code sha256} is the expected hex digest.
   */
  static ReaderLoop sha256(
      Path dir, String file, String sha256, Duration timeout, long intervalMillis) {
    return new ReaderLoop(
        dir,
        List.of(
            "sh",
            "-c",
            "ls -l \"$1\" >/dev/null && sha256sum < \"$1/$2\"",
            "sh",
            dir.toString(),
            file),
        sha256 + "  -\n",
        timeout,
        intervalMillis);
  }

  private ReaderLoop(
      Path dir, List<String> command, String expected, Duration timeout, long intervalMillis) {
    this.timeout = timeout;
    this.dir = dir;
    this.command = command;
    this.expected = expected;
    this.intervalMillis = intervalMillis;
    this.thread = new Thread(this::loop, "reader " + dir);
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    while (running) {
      long at = System.nanoTime();
      Exec.Result r = Exec.run(command, timeout);
      boolean ok = r.ok() && r.output().equals(expected);
      synchronized (reads) {
        reads.add(new Read(at, System.nanoTime() - at, ok, ok ? "" : r.describe()));
      }
      try {
        Thread.sleep(intervalMillis);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  List<Read> reads() {
    synchronized (reads) {
      return List.copyOf(reads);
    }
  }

  /** Waits for the first good read that started after {@code afterNanos}; returns it. */
  Read awaitGoodAfter(long afterNanos, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (Read r : reads()) {
        if (r.atNanos() > afterNanos && r.ok()) return r;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(
        "no good read of " + dir + " within " + timeout + " after the event; last reads " + tail());
  }

  /**
   * The end of the outage that followed an event at {@code fromNanos}: the first good read after
   * the last failed one (reads served from the kernel's caches can still succeed right after a hang
   * begins). Waits until a good read follows every failure seen so far.
   */
  Read outageEnd(long fromNanos, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      List<Read> all = reads();
      long lastBad = fromNanos;
      for (Read r : all) if (r.atNanos() > fromNanos && !r.ok()) lastBad = r.atNanos();
      for (Read r : all) {
        if (r.atNanos() > lastBad && r.ok()) return r;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(
        "reads of " + dir + " did not recover within " + timeout + "; last reads " + tail());
  }

  /** The slowest read that started in [from, to]. */
  long maxReadMillis(long fromNanos, long toNanos) {
    return reads().stream()
        .filter(r -> r.atNanos() >= fromNanos && r.atNanos() <= toNanos)
        .mapToLong(r -> r.tookNanos() / 1_000_000)
        .max()
        .orElse(0);
  }

  List<Read> failures(long fromNanos, long toNanos) {
    return reads().stream()
        .filter(r -> r.atNanos() >= fromNanos && r.atNanos() <= toNanos && !r.ok())
        .toList();
  }

  long failuresBetween(long fromNanos, long toNanos) {
    return reads().stream()
        .filter(r -> r.atNanos() >= fromNanos && r.atNanos() <= toNanos && !r.ok())
        .count();
  }

  String tail() {
    List<Read> all = reads();
    return all.subList(Math.max(0, all.size() - 5), all.size()).toString();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.interrupt();
    thread.join(5000);
  }
}
