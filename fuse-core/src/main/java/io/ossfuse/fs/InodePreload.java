package io.ossfuse.fs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An inode table read ahead of its takeover, by a standby while the active child owns the table and
 * appends to its log: it reads the log without the lock and, at each {@link #refresh}, only what
 * was appended since. At the takeover ({@link InodeTable#takenOver(Path, long,
 * java.util.function.Consumer, InodePreload)}) the predecessor writes no more: the last appended
 * records are read and the log continued, instead of reading and parsing it all while every request
 * waits.
 *
 * <p>The log is append-only between compactions, which rename a new file over it: a log whose first
 * bytes are not the ones already applied (their CRC differs), or shorter than them, is read again
 * from the start. A record being appended while it is read fails its CRC or is incomplete: reading
 * stops before it and resumes there next time.
 */
public final class InodePreload {
  private static final Logger LOG = LoggerFactory.getLogger(InodePreload.class);

  private final Path dir;
  private final Path file;
  private InodeTable table;

  /** Offset of the first byte not applied (whole records end there). */
  private long good;

  private long records;

  /** Set when the log cannot be read ahead (bad magic, I/O error): the takeover reads it itself. */
  private boolean unusable;

  private InodePreload(Path stateDir) {
    this.dir = stateDir;
    this.file = stateDir.resolve(InodeTable.LOG_FILE);
  }

  /** Reads {@code stateDir}'s log now; never fails (an unreadable log is read at the takeover). */
  public static InodePreload of(Path stateDir) {
    InodePreload p = new InodePreload(stateDir);
    p.refresh();
    return p;
  }

  /** Reads what was appended to the log since; returns how many records that was. */
  public synchronized long refresh() {
    if (unusable) return 0;
    try {
      return readMore();
    } catch (IOException | RuntimeException e) {
      LOG.info("inode table {} not read ahead: {}", file, e.toString());
      unusable = true;
      table = null;
      return 0;
    }
  }

  private long readMore() throws IOException {
    if (!Files.exists(file)) {
      table = null; // none yet: the takeover starts one
      return 0;
    }
    // The whole file: reading is cheap, parsing is what is saved. The part read before must be
    // byte for byte what it was (a CRC of it): else a compaction renamed another log over it
    // (its file key may even be the old one's, reused).
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException renamedMeanwhile) {
      return 0;
    }
    if (bytes.length < InodeTable.magicLength()) {
      table = null;
      return 0;
    }
    if (table == null || bytes.length < good || crcOf(bytes, good) != prefixCrc) {
      table = InodeTable.unopened(dir); // compacted (or first read): from the start
      good = 0;
      records = 0;
    }
    if (good == 0) {
      InodeTable.checkMagic(bytes, file);
      good = InodeTable.magicLength();
    }
    long[] r = table.replay(bytes, (int) good);
    good += r[0];
    records += r[1];
    prefixCrc = crcOf(bytes, good);
    size = bytes.length;
    return r[1];
  }

  private static long crcOf(byte[] b, long len) {
    java.util.zip.CRC32 c = new java.util.zip.CRC32();
    c.update(b, 0, (int) len);
    return c.getValue();
  }

  private long prefixCrc;
  private long size;

  /**
   * The table as the predecessor left it (it writes no more), or null when it cannot be read ahead:
   * then the takeover reads the log itself.
   */
  synchronized InodeTable finish() throws IOException {
    long t0 = System.nanoTime();
    refresh();
    if (table == null) return null;
    Files.deleteIfExists(dir.resolve(InodeTable.LOG_FILE + ".tmp"));
    startNanos = t0;
    return table;
  }

  private long startNanos;

  /** Continues the log after what {@link #finish} read (a torn tail is cut off). */
  synchronized void openLog() throws IOException {
    table.openLogAt(file, good, size, records, startNanos);
  }
}
