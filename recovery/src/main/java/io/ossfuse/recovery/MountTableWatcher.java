package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the mount table: reads {@code /proc/self/mountinfo} at a fixed pace and calls {@code
 * onChange} when its content differs from the last read, or when {@link #poke()} asked for a look
 * (a mount became healthy: binds it could not adopt while recovering are due). Reading the file
 * never touches a mounted filesystem and costs well under a millisecond on a node with a few
 * thousand mounts; only a change costs a parse, in {@code onChange}.
 */
final class MountTableWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MountTableWatcher.class);
  private final Path file;
  private final Duration every;
  private final Runnable onChange;
  private final AtomicBoolean poked = new AtomicBoolean(true);
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "mount-table");
            t.setDaemon(true);
            return t;
          });
  private byte[] last;
  private boolean warned;

  MountTableWatcher(Path file, Duration every, Runnable onChange) {
    this.file = file;
    this.every = every;
    this.onChange = onChange;
  }

  void start() {
    timer.scheduleWithFixedDelay(this::tick, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Asks for a call of {@code onChange} at the next tick even if the table did not change. */
  void poke() {
    poked.set(true);
  }

  private void tick() {
    try {
      byte[] now = Files.readAllBytes(file);
      boolean changed = !Arrays.equals(now, last);
      last = now;
      warned = false;
      if (poked.getAndSet(false) | changed) onChange.run();
    } catch (IOException | RuntimeException e) {
      if (!warned)
        log.warn(
            "cannot watch the mount table {}: {}; binds made by others are not adopted meanwhile",
            file,
            e.toString());
      warned = true;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
