package io.ossfuse.packaging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A host directory that is its own shared mount (like / on a systemd host, where Kubernetes'
 * Bidirectional propagation works): mounts made under it inside a container given it with {@code
 * :rshared} appear on the host. This VM's mounts are private, hence the bind + make-rshared.
 * Closing unmounts everything under it (lazily: FUSE mounts may be dead) and deletes it.
 */
final class SharedHostDir implements AutoCloseable {
  private final Path dir;

  private SharedHostDir(Path dir) {
    this.dir = dir;
  }

  static SharedHostDir create(String prefix) throws IOException {
    Path dir = Files.createTempDirectory(prefix).toRealPath();
    SharedHostDir shared = new SharedHostDir(dir);
    try {
      Cmd.run(List.of("mount", "--bind", dir.toString(), dir.toString())).expectSuccess();
      Cmd.run(List.of("mount", "--make-rshared", dir.toString())).expectSuccess();
    } catch (RuntimeException | Error e) {
      shared.close();
      throw e;
    }
    return shared;
  }

  Path path() {
    return dir;
  }

  Path resolve(String relative) {
    return dir.resolve(relative);
  }

  /** Mount points at or under this directory, deepest first, as /proc/self/mountinfo lists them. */
  List<String> mountsUnder() {
    try {
      String prefix = dir.toString();
      return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
          .map(line -> line.split(" ")[4].replace("\\040", " "))
          .filter(m -> m.equals(prefix) || m.startsWith(prefix + "/"))
          .sorted(Comparator.comparingInt(String::length).reversed())
          .distinct()
          .toList();
    } catch (IOException e) {
      throw new AssertionError("cannot read /proc/self/mountinfo", e);
    }
  }

  @Override
  public void close() throws IOException {
    // Stacked and propagated mounts may need several rounds; never delete through a live mount.
    for (int round = 0; round < 10 && !mountsUnder().isEmpty(); round++) {
      for (String m : mountsUnder()) {
        Cmd.run(List.of("umount", "-l", m));
      }
    }
    List<String> left = mountsUnder();
    if (!left.isEmpty()) {
      throw new IOException("could not unmount " + left + "; unmount them by hand (umount -l)");
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
