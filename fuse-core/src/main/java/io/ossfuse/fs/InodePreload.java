package io.ossfuse.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
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
 * <p>The log is append-only between compactions, which rename a new file over it: a log with
 * another file key, or shorter than what was read, is read again from the start. A record being
 * appended while it is read fails its CRC or is incomplete: reading stops before it and resumes
 * there next time.
 */
public final class InodePreload {
  private static final Logger LOG = LoggerFactory.getLogger(InodePreload.class);

  private final Path dir;
  private final Path file;
  private InodeTable table;
  private Object fileKey;

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
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException none) {
      table = null; // none yet: the takeover starts one
      return 0;
    }
    if (a.size() < InodeTable.magicLength()) {
      table = null;
      return 0;
    }
    Object key = a.fileKey();
    if (table == null || key == null || !key.equals(fileKey) || a.size() < good) {
      table = InodeTable.unopened(dir); // compacted (or first read): from the start
      fileKey = key;
      good = 0;
      records = 0;
    }
    if (a.size() == good) return 0;
    byte[] bytes = new byte[Math.toIntExact(a.size() - good)];
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      long pos = good;
      while (b.hasRemaining()) {
        int n = ch.read(b, pos);
        if (n < 0) break;
        pos += n;
      }
      bytes = b.position() == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, b.position());
    }
    // renamed over meanwhile: what was read may be the new file's; start afresh next time
    Object after = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    if (!Objects.equals(after, fileKey)) {
      table = null;
      return 0;
    }
    int from = 0;
    if (good == 0) {
      InodeTable.checkMagic(bytes, file);
      from = InodeTable.magicLength();
      good = from;
    }
    long[] r = table.replay(bytes, from);
    good += r[0];
    records += r[1];
    return r[1];
  }

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
    table.openLogAt(file, good, Files.size(file), records, startNanos);
  }
}
