package io.ossfuse.fuse.raw;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Why each serving child of a session ended, as its supervisor saw it: one small file per child in
 * {@code <stateDir>/exits/<pid>}, "own: REASON" for a child that ended by itself (an exit, a crash
 * signal, the kernel's OOM killer) or "killed: REASON" for one killed from outside (SIGKILL sent by
 * an operator, a test, a node agent). {@link PoisonGuard} quarantines a request only after a crash
 * of the first kind: a storm of outside kills must never make a file unreadable. The directory
 * exists only under a supervisor that writes these notes; without it every crash counts.
 */
public final class ExitNotes {
  static final String DIR = "exits";
  private static final String OWN = "own: ";
  private static final String KILLED = "killed: ";

  /** Notes kept: far more than the crashes in a row a quarantine needs. */
  private static final int KEEP = 32;

  private ExitNotes() {}

  /**
   * Creates the directory: from now on crashes count only when a note says the child ended by
   * itself.
   */
  public static void prepare(Path stateDir) throws IOException {
    Files.createDirectories(stateDir.resolve(DIR));
  }

  /** Notes why child {@code pid} ended; keeps the newest notes only. */
  public static void write(Path stateDir, long pid, boolean onItsOwn, String reason)
      throws IOException {
    Path dir = stateDir.resolve(DIR);
    Files.createDirectories(dir);
    Path tmp = dir.resolve(pid + ".tmp");
    Files.writeString(tmp, (onItsOwn ? OWN : KILLED) + reason + "\n", StandardCharsets.UTF_8);
    Files.move(
        tmp,
        dir.resolve(Long.toString(pid)),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    List<Path> notes;
    try (Stream<Path> s = Files.list(dir)) {
      notes =
          s.filter(p -> !p.getFileName().toString().endsWith(".tmp"))
              .sorted(Comparator.comparingLong(ExitNotes::mtime).reversed())
              .toList();
    }
    for (Path old : notes.subList(Math.min(KEEP, notes.size()), notes.size())) {
      Files.deleteIfExists(old);
    }
  }

  /** Whether a supervisor writes notes for this session. */
  static boolean kept(Path stateDir) {
    return Files.isDirectory(stateDir.resolve(DIR));
  }

  /** Whether child {@code pid} is noted as ended by itself; false if killed or not (yet) noted. */
  static boolean endedOnItsOwn(Path stateDir, long pid) {
    try {
      return Files.readString(
              stateDir.resolve(DIR).resolve(Long.toString(pid)), StandardCharsets.UTF_8)
          .startsWith(OWN);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  private static long mtime(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }
}
