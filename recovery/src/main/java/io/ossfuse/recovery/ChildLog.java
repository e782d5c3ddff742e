package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a mount's child log ({@code <log dir>/<mount id>.log}) from filling the node's disk: once
 * it is larger than {@link #MAX_BYTES} it is copied to {@code .1} (older copies shift up to {@code
 * .}{@link #KEEP}) and truncated in place. Copy-and-truncate, not rename: the running child writes
 * with O_APPEND to the open file and carries on at its new end; lines written between the copy and
 * the truncation are lost, which logrotate's copytruncate accepts too.
 */
final class ChildLog {
  private static final Logger LOG = LoggerFactory.getLogger(ChildLog.class);
  static final long MAX_BYTES = 16L << 20;
  static final int KEEP = 3;

  private ChildLog() {}

  /**
   * Rotates {@code log} when larger than {@link #MAX_BYTES}; never throws (a log must not stop a
   * mount).
   */
  static void rotateIfLarge(Path log) {
    rotateIfLarger(log, MAX_BYTES, KEEP);
  }

  /**
   * @return true when {@code log} was rotated
   */
  static boolean rotateIfLarger(Path log, long maxBytes, int keep) {
    try {
      if (Files.size(log) <= maxBytes) return false;
      for (int i = keep - 1; i >= 1; i--) {
        Path older = numbered(log, i);
        if (Files.exists(older))
          Files.move(older, numbered(log, i + 1), StandardCopyOption.REPLACE_EXISTING);
      }
      Files.copy(log, numbered(log, 1), StandardCopyOption.REPLACE_EXISTING);
      try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
        ch.truncate(0);
      }
      return true;
    } catch (NoSuchFileException gone) {
      return false;
    } catch (IOException e) {
      LOG.warn("cannot rotate child log {}: {}", log, e.toString());
      return false;
    }
  }

  static Path numbered(Path log, int n) {
    return log.resolveSibling(log.getFileName() + "." + n);
  }
}
