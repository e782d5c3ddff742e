package io.ossfuse.recovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link DaemonState} in a JSON file (0600). A save writes a temp file, fsyncs it, keeps the
 * current file as {@code <name>.prev} and renames the temp file over it, then fsyncs the directory:
 * a crash at any point leaves a complete current or previous version.
 *
 * <p>A load checks the file (a JSON object of a known version with a list of mounts) and every
 * entry in it. A bad entry is skipped with one log line and kept in {@code <name>.rejected-<time>};
 * the others are served. A file that cannot be read, or is of an unknown version, is kept as {@code
 * <name>.corrupt} and the previous version is used; if that cannot be read either, the load fails
 * with a {@link StateFileException}: starting with no mounts would orphan live children.
 */
final class StateStore {
  private static final Logger log = LoggerFactory.getLogger(StateStore.class);
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
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

  /** An entry that was not taken, and why. */
  record Rejected(JsonNode entry, String reason) {}

  /** What a readable file holds: the usable mounts and the entries that were not. */
  private record Parsed(List<MountRecord> mounts, List<Rejected> rejected) {}

  synchronized DaemonState load() throws StateFileException {
    if (!Files.exists(file) && !Files.exists(prev)) return DaemonState.empty();
    Parsed p;
    try {
      p = parse(file);
    } catch (IOException | RuntimeException e) {
      keepCorrupt();
      try {
        p = parse(prev);
      } catch (IOException | RuntimeException e2) {
        throw new StateFileException(
            "state file "
                + file
                + " is unreadable ("
                + oneLine(e)
                + ") and so is its previous version "
                + prev.getFileName()
                + " ("
                + oneLine(e2)
                + "); no mount was touched: restore a good copy, or move both aside"
                + " to start with no mounts (then unmount what they listed by hand)");
      }
      log.warn(
          "state file {} is unreadable ({}); using the previous version {} ({} mounts){}",
          file,
          oneLine(e),
          prev,
          p.mounts().size(),
          Files.exists(file) ? "; the bad copy is kept as " + file.getFileName() + ".corrupt" : "");
    }
    if (!p.rejected().isEmpty()) setAside(p);
    return new DaemonState(DaemonState.VERSION, p.mounts());
  }

  /**
   * Keeps the rejected entries, then saves the good ones, so the next start neither rejects them
   * again nor loses them (the file with the bad entries becomes {@code .prev}).
   */
  private void setAside(Parsed p) {
    keepAside(p.rejected());
    try {
      save(new DaemonState(DaemonState.VERSION, p.mounts()));
    } catch (IOException e) {
      log.error("cannot write state file {}: {}", file, e.getMessage());
    }
  }

  /**
   * Logs one line per entry and writes them to {@code <name>.rejected-<time>} (0600) for the admin.
   */
  synchronized void keepAside(List<Rejected> rejected) {
    Path aside =
        file.resolveSibling(file.getFileName() + ".rejected-" + STAMP.format(Instant.now()));
    for (Rejected r : rejected) {
      log.warn(
          "state file {}: skipped the entry for mount {} ({}); it is kept in {}",
          file,
          StateEntry.mountpointOf(r.entry()),
          r.reason(),
          aside.getFileName());
    }
    try {
      ObjectNode root =
          json.createObjectNode().put("version", DaemonState.VERSION).put("from", file.toString());
      ArrayNode list = root.putArray("rejected");
      for (Rejected r : rejected)
        list.addObject().put("reason", r.reason()).set("entry", r.entry());
      FileModes.writePrivate(aside, json.writeValueAsBytes(root));
    } catch (IOException e) {
      log.error("cannot keep the skipped state entries in {}: {}", aside, e.getMessage());
    }
  }

  /** Keeps the unreadable file for a post-mortem; the next save replaces it. */
  private void keepCorrupt() {
    try {
      if (Files.exists(file)) {
        Path corrupt = file.resolveSibling(file.getFileName() + ".corrupt");
        Files.copy(file, corrupt, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(corrupt, FileModes.PRIVATE_FILE);
      }
    } catch (IOException ignored) {
      // the log line names the problem already
    }
  }

  synchronized void save(DaemonState state) throws IOException {
    FileModes.createDirs(file.getParent(), FileModes.PRIVATE_DIR);
    byte[] bytes = json.writeValueAsBytes(state);
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            Set.of(
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING),
            PosixFilePermissions.asFileAttribute(FileModes.PRIVATE_FILE))) {
      Files.setPosixFilePermissions(
          tmp, FileModes.PRIVATE_FILE); // a leftover temp file keeps its mode
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) ch.write(buf);
      ch.force(true);
    }
    if (Files.exists(file) && isReadable(file)) {
      // Only a good current version becomes .prev: a corrupt one must not push out the good copy.
      Files.copy(file, prev, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(prev, FileModes.PRIVATE_FILE);
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
      parse(p);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The file's mounts; throws when the file as a whole cannot be used (not JSON, not an object, an
   * unknown version, no list of mounts). A bad entry only lands in {@link Parsed#rejected()}.
   */
  private Parsed parse(Path p) throws IOException {
    if (!Files.exists(p)) throw new IOException("missing");
    JsonNode root = json.readTree(p.toFile());
    if (root == null || root.isMissingNode()) throw new IOException("empty file");
    if (!root.isObject()) throw new IOException("not a JSON object");
    JsonNode version = root.get("version");
    if (version == null || version.isNull()) throw new IOException("no version");
    if (!version.isInt() || version.intValue() != DaemonState.VERSION) {
      throw new IOException(
          "version " + version + ", this daemon reads version " + DaemonState.VERSION);
    }
    JsonNode mounts = root.get("mounts");
    if (mounts == null || !mounts.isArray()) throw new IOException("no list of mounts");
    List<MountRecord> good = new ArrayList<>();
    List<Rejected> bad = new ArrayList<>();
    Set<String> mountpoints = new HashSet<>();
    for (JsonNode entry : mounts) {
      try {
        MountRecord r = StateEntry.parse(entry, json);
        if (!mountpoints.add(r.spec().mountpoint())) {
          throw new IllegalArgumentException("a second entry for the same mountpoint");
        }
        good.add(r);
      } catch (RuntimeException e) {
        bad.add(new Rejected(entry, oneLine(e)));
      }
    }
    return new Parsed(good, bad);
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
