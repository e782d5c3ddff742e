package io.ossfuse.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A standby's copy of the active child's {@link MetaJournal}, read ahead while it waits: at each
 * {@link #refresh} only what was appended since (a file with another file key, or shorter, is read
 * from the start: the journal started afresh). The filesystem of the takeover starts with its
 * entries still within their expiry ({@link ObjectFileSystem.Builder#metadataFrom}).
 */
public final class MetaPreload {
  /** What the predecessor knew of a path (empty: absent) and until when (epoch millis). */
  record Seed(Optional<Node> node, long expiresAtMillis) {}

  private final Path file;
  private final Map<String, Seed> entries = new java.util.concurrent.ConcurrentHashMap<>();
  private Object fileKey;
  private long offset;

  private MetaPreload(Path stateDir) {
    this.file = stateDir.resolve(MetaJournal.FILE);
  }

  /** Reads {@code stateDir}'s journal now; never fails (a missing journal is an empty one). */
  public static MetaPreload of(Path stateDir) {
    MetaPreload p = new MetaPreload(stateDir);
    p.refresh();
    return p;
  }

  /** Reads what was appended since; returns how many records. */
  public synchronized int refresh() {
    if (finished) return 0;
    try {
      return readMore();
    } catch (IOException | RuntimeException e) {
      entries.clear(); // read from the start next time
      fileKey = null;
      offset = 0;
      return 0;
    }
  }

  private int readMore() throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException none) {
      return 0;
    }
    if (fileKey == null || !fileKey.equals(a.fileKey()) || a.size() < offset) {
      entries.clear();
      fileKey = a.fileKey();
      offset = 0;
    }
    if (a.size() == offset) return 0;
    byte[] bytes = new byte[Math.toIntExact(a.size() - offset)];
    int got = 0;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {}
      got = b.position();
    }
    if (!Objects.equals(fileKey, Files.readAttributes(file, BasicFileAttributes.class).fileKey())) {
      fileKey = null; // started afresh meanwhile: from the start next time
      return 0;
    }
    int n = 0;
    int start = 0;
    for (int i = 0; i < got; i++) {
      if (bytes[i] != '\n') continue;
      MetaJournal.apply(new String(bytes, start, i - start, StandardCharsets.UTF_8), entries);
      start = i + 1;
      n++;
    }
    offset += start; // a line being written is read again next time
    return n;
  }

  private boolean finished;

  /**
   * Reads the last records (the predecessor writes no more) and stops reading: the journal the
   * successor starts replaces the file.
   */
  public synchronized void finish() {
    refresh();
    finished = true;
  }

  /**
   * The entries read: after {@link #finish}, the filesystem of the takeover's own (it takes out
   * each entry it uses or learns afresh).
   */
  synchronized Map<String, Seed> current() {
    return entries;
  }

  /** Paths known (tests). */
  synchronized int size() {
    return entries.size();
  }
}
