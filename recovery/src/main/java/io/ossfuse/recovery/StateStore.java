package io.ossfuse.recovery;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link DaemonState} in a JSON file. A save writes a temp file, fsyncs it, keeps the current
 * file as {@code <name>.prev} and renames the temp file over it, then fsyncs the directory: a crash
 * at any point leaves a complete current or previous version. A load that finds the current file
 * corrupt logs one line and uses the previous version.
 */
final class StateStore {
  private static final Logger log = LoggerFactory.getLogger(StateStore.class);
  private final Path file;
  private final Path prev;
  private final Path tmp;
  private final ObjectMapper json = Json.mapper().copy().enable(SerializationFeature.INDENT_OUTPUT);

  StateStore(Path file) {
    this.file = file.toAbsolutePath();
    this.prev = this.file.resolveSibling(this.file.getFileName() + ".prev");
    this.tmp = this.file.resolveSibling(this.file.getFileName() + ".tmp");
  }

  Path file() {
    return file;
  }

  synchronized DaemonState load() {
    if (!Files.exists(file) && !Files.exists(prev)) return DaemonState.empty();
    try {
      return read(file);
    } catch (IOException | RuntimeException e) {
      keepCorrupt();
      if (Files.exists(prev)) {
        try {
          DaemonState s = read(prev);
          log.warn("state file {} is unreadable ({}); using the previous version {} ({} mounts); the bad copy is kept as {}.corrupt",
              file, oneLine(e), prev, s.mounts().size(), file.getFileName());
          return s;
        } catch (IOException | RuntimeException e2) {
          log.error("state file {} and its previous version {} are both unreadable ({}; {}); starting with no mounts",
              file, prev, oneLine(e), oneLine(e2));
          return DaemonState.empty();
        }
      }
      log.error("state file {} is unreadable ({}) and there is no previous version; starting with no mounts",
          file, oneLine(e));
      return DaemonState.empty();
    }
  }

  /** Keeps the unreadable file for a post-mortem; the next save replaces it. */
  private void keepCorrupt() {
    try {
      if (Files.exists(file)) {
        Files.copy(file, file.resolveSibling(file.getFileName() + ".corrupt"), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException ignored) {
      // the log line names the problem already
    }
  }

  synchronized void save(DaemonState state) throws IOException {
    Files.createDirectories(file.getParent());
    byte[] bytes = json.writeValueAsBytes(state);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) ch.write(buf);
      ch.force(true);
    }
    if (Files.exists(file) && isReadable(file)) {
      // Only a good current version becomes .prev: a corrupt one must not push out the good copy.
      Files.copy(file, prev, StandardCopyOption.REPLACE_EXISTING);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    fsyncDir(file.getParent());
  }

  private boolean isReadable(Path p) {
    try {
      read(p);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private DaemonState read(Path p) throws IOException {
    DaemonState s = json.readValue(p.toFile(), DaemonState.class);
    if (s == null) throw new IOException("empty file");
    return s;
  }

  private static void fsyncDir(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // Not every filesystem lets a directory be opened for fsync; the rename is still atomic.
    }
  }

  private static String oneLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
