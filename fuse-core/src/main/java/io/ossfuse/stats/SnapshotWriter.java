package io.ossfuse.stats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes a snapshot of {@link MountMetrics} to a file every interval, on one daemon thread. */
final class SnapshotWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotWriter.class);
  private final MountMetrics metrics;
  private final Path file;
  private final ScheduledExecutorService exec;
  private volatile boolean warned;

  SnapshotWriter(MountMetrics metrics, Path file, Duration every) {
    this.metrics = metrics;
    this.file = file;
    this.exec =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "stats-writer");
              t.setDaemon(true);
              return t;
            });
    exec.scheduleWithFixedDelay(this::writeOnce, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  void writeOnce() {
    try {
      SnapshotFiles.write(file, metrics.snapshot());
      warned = false;
    } catch (IOException | RuntimeException e) {
      if (!warned)
        log.warn(
            "cannot write the stats file {}: {} (metrics of this mount go stale)",
            file,
            e.toString());
      warned = true;
    }
  }

  /** Stops writing and removes the file: a stopped mount has no live numbers. Idempotent. */
  @Override
  public synchronized void close() {
    exec.shutdownNow();
    try {
      exec.awaitTermination(2, TimeUnit.SECONDS);
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // a stale file is ignored by the daemon (its pid is gone)
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
