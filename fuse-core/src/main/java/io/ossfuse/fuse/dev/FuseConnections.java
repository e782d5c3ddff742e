package io.ossfuse.fuse.dev;

import io.ossfuse.fuse.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FUSE control filesystem (fusectl) at {@code /sys/fs/fuse/connections}: where a connection
 * whose server hangs can be aborted. Fresh machines often have it unmounted, so the first use
 * mounts it (root can); if that fails the caller goes on without the abort (killing the server is
 * then the only remedy) and one line says why, once per process.
 */
public final class FuseConnections {
  public static final Path DIR = Path.of("/sys/fs/fuse/connections");
  private static final Logger LOG = LoggerFactory.getLogger(FuseConnections.class);
  private static boolean warned;

  private FuseConnections() {}

  /**
   * The {@code abort} file of {@code connection}; empty if fusectl is unavailable or the connection
   * is gone.
   */
  public static Optional<Path> abortFile(int connection) {
    if (!ensureMounted()) {
      return Optional.empty();
    }
    Path abort = DIR.resolve(Integer.toString(connection)).resolve("abort");
    return Files.exists(abort) ? Optional.of(abort) : Optional.empty();
  }

  /** True if fusectl is mounted at {@link #DIR}, mounting it first if it is not. */
  public static synchronized boolean ensureMounted() {
    if (mounted()) {
      return true;
    }
    if (!Files.isDirectory(DIR)) {
      warnOnce(DIR + " does not exist (is the fuse module loaded?)");
      return false;
    }
    if (LibC.get().mount("none", DIR.toString(), "fusectl", 0, null) == 0) {
      LOG.info("mounted fusectl on {} (to abort hung FUSE connections)", DIR);
      return true;
    }
    int e = LibC.errno();
    warnOnce("cannot mount fusectl on " + DIR + ": " + LibC.describe(e));
    return false;
  }

  private static boolean mounted() {
    try {
      return MountInfo.read().at(DIR).stream().anyMatch(e -> e.fsType().equals("fusectl"));
    } catch (IOException e) {
      return false;
    }
  }

  private static void warnOnce(String why) {
    if (warned) {
      return;
    }
    warned = true;
    LOG.warn(
        "{}; hung FUSE connections are not aborted, only their servers killed (as root: mount -t fusectl none {})",
        why,
        DIR);
  }
}
