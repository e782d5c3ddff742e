package io.ossfuse.stats;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * Reads and writes {@link StatsSnapshot} files. A write goes to a temp file that is renamed over
 * the target, so a reader sees the previous or the next snapshot, never half of one. No fsync: a
 * snapshot lost in a crash is replaced two seconds later.
 */
public final class SnapshotFiles {
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private SnapshotFiles() {}

  public static void write(Path file, StatsSnapshot s) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
    Files.write(tmp, JSON.writeValueAsBytes(s));
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** The snapshot in {@code file}; empty when there is none or it cannot be read. */
  public static Optional<StatsSnapshot> read(Path file) {
    try {
      return Optional.ofNullable(JSON.readValue(file.toFile(), StatsSnapshot.class));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  static String toJson(StatsSnapshot s) throws IOException {
    return JSON.writeValueAsString(s);
  }
}
