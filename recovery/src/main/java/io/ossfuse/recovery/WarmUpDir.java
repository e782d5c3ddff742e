package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Where a standby child warms up: a throw-away cache and session under /dev/shm (memory), else the
 * temp dir, named by the child's PID. The standby removes it when its warm-up ends; one killed
 * during its warm-up cannot, so the daemon removes it when it sees the child exit ({@link Child}),
 * and the next standby removes any left by processes that are gone (a daemon that died too).
 */
final class WarmUpDir {
  private static final String PREFIX = "ossfuse-standby-warm-up-";

  private WarmUpDir() {}

  static Path of(long pid) {
    return base().resolve(PREFIX + pid);
  }

  /** Removes the warm-up dir of {@code pid}, if it left one. Best effort: never throws. */
  static void removeOf(long pid) {
    Path d = of(pid);
    if (!Files.isDirectory(d)) return;
    try {
      deleteTree(d);
    } catch (IOException | RuntimeException e) {
      // the next standby's removeOfDead tries again
    }
  }

  /** Removes the warm-up dirs whose process is gone. */
  static void removeOfDead() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(base(), PREFIX + "*")) {
      for (Path d : ds) {
        String pid = d.getFileName().toString().substring(PREFIX.length());
        boolean alive =
            pid.matches("\\d{1,18}") && ProcessHandle.of(Long.parseLong(pid)).isPresent();
        if (!alive) deleteTree(d);
      }
    }
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> w = Files.walk(dir)) {
      w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static Path base() {
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
  }
}
