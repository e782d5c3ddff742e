package io.ossfuse.packaging;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Reads a file on the host the way an application in a pod would, in a subprocess so that a hung
 * FUSE mount costs a killed {@code cat}, never the test thread.
 */
final class HostReads {
  private HostReads() {}

  /**
   * The file's content, or the error {@code cat} printed (e.g. "Transport endpoint is not
   * connected").
   */
  static Result read(Path file) {
    try {
      Cmd r = Cmd.run(List.of("timeout", "-s", "KILL", "5", "cat", file.toString()), Map.of(), 10);
      return new Result(r.exit() == 0, r.output());
    } catch (AssertionError e) {
      return new Result(false, e.getMessage());
    }
  }

  /**
   * Polls until the file reads {@code expected}; the elapsed time, or an AssertionError with the
   * last error.
   */
  static Duration awaitContent(Path file, String expected, Duration timeout)
      throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    Result last = null;
    while (System.nanoTime() < deadline) {
      last = read(file);
      if (last.ok() && last.output().equals(expected)) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      Thread.sleep(100);
    }
    throw new AssertionError(file + " did not read back within " + timeout + "; last: " + last);
  }

  /** Polls until reading the file fails (the mount behind it died); returns the error text. */
  static String awaitFailure(Path file, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Result r = read(file);
      if (!r.ok()) {
        return r.output();
      }
      Thread.sleep(50);
    }
    throw new AssertionError(file + " kept reading fine for " + timeout);
  }

  record Result(boolean ok, String output) {}
}
