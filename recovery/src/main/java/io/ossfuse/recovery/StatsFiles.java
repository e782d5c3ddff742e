package io.ossfuse.recovery;

import java.nio.file.Path;

/**
 * Where a FUSE child writes its stats snapshot: next to the spec file the daemon hands it, {@code
 * <state dir>/mounts/<mount-id>.stats.json}. Both sides derive it from the spec file path, so
 * nothing new travels on the command line.
 */
public final class StatsFiles {
  private StatsFiles() {}

  public static Path forSpecFile(Path specFile) {
    String n = specFile.getFileName().toString();
    String stem = n.endsWith(".json") ? n.substring(0, n.length() - 5) : n;
    return specFile.resolveSibling(stem + ".stats.json");
  }
}
