package io.ossfuse.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A standby's copy of the active child's {@link MetaJournal}, read ahead while it waits: at each
 * {@link #refresh} only what was appended since parsed (a file whose first bytes are not the ones
 * parsed before is read from the start: the journal started afresh). The filesystem of the takeover
 * starts with its entries still within their expiry ({@link
 * ObjectFileSystem.Builder#metadataFrom}).
 */
public final class MetaPreload {
  /** What the predecessor knew of a path (empty: absent) and until when (epoch millis). */
  record Seed(Optional<Node> node, long expiresAtMillis) {}

  private final Path file;
  private final Map<String, Seed> entries = new java.util.concurrent.ConcurrentHashMap<>();
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
      offset = 0;
      prefixCrc = crcOf(new byte[0], 0);
      return 0;
    }
  }

  private int readMore() throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException none) {
      return 0;
    }
    // what was read before must be byte for byte the same (a CRC of it): else the journal started
    // afresh (its file key may even be the old one's, reused)
    if (bytes.length < offset || crcOf(bytes, offset) != prefixCrc) {
      entries.clear();
      offset = 0;
    }
    int n = 0;
    int start = (int) offset;
    for (int i = start; i < bytes.length; i++) {
      if (bytes[i] != '\n') continue;
      MetaJournal.apply(new String(bytes, start, i - start, StandardCharsets.UTF_8), entries);
      start = i + 1;
      n++;
    }
    offset = start; // a line being written is read again next time
    prefixCrc = crcOf(bytes, offset);
    return n;
  }

  private static long crcOf(byte[] b, long len) {
    java.util.zip.CRC32 c = new java.util.zip.CRC32();
    c.update(b, 0, (int) len);
    return c.getValue();
  }

  private long prefixCrc = crcOf(new byte[0], 0);

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
