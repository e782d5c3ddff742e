package io.ossfuse.fs;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Path ↔ inode number, with the kernel's lookup counts. Numbers are never reused within one table
 * (a persisted table remembers the next number across processes), the root is 1.
 *
 * <p><b>Persistence.</b> With a state directory, every assignment is appended to {@code inodes.log}
 * <em>before</em> the number is handed out, and every entry the kernel forgets gets a delete
 * record. A new process opening the same directory therefore maps every number the kernel may still
 * hold to the same path. Records carry a CRC32; a torn tail (SIGKILL mid-write) is cut off at load.
 * When the log grows past twice the live entries (and at least {@link #COMPACT_MIN_RECORDS}
 * records) it is rewritten to a temporary file, fsynced and renamed over the log, so a kill at any
 * point leaves either the old or the new complete log. Entries loaded from the log have an unknown
 * lookup count: the first forget from the kernel drops them (the kernel always forgets its whole
 * count at once on eviction) — unless the kernel looked them up again since the load. That forget
 * may then end an inode evicted before the lookup while the lookup made a new one with the same
 * number (forgets travel on their own kernel queue and worker threads reorder them): dropping the
 * entry would answer the live inode ESTALE, so it is kept (at worst one entry leaks). Entries
 * handed out by readdir only (count 0) are not kept by a compaction: the kernel holds no reference
 * to them.
 *
 * <p>All methods are thread-safe; mutations take the table's lock (they are short).
 */
public final class InodeTable implements Closeable {
  static final int COMPACT_MIN_RECORDS = 10_000;
  private static final Logger LOG = LoggerFactory.getLogger(InodeTable.class);
  private static final byte[] MAGIC = "OSSFINO1".getBytes(StandardCharsets.US_ASCII);
  private static final byte ADD = 1, DEL = 2, NEXT = 3;
  private static final long UNKNOWN = -1;
  static final String LOG_FILE = "inodes.log";
  static final String LOCK_FILE = "inodes.lock";

  private static final class Node {
    final long ino;
    final String path;
    long lookups;

    /** Loaded with an unknown count, then looked up again: no forget can tell it is unused. */
    boolean lookedUpSinceLoad;

    Node(long ino, String path, long lookups) {
      this.ino = ino;
      this.path = path;
      this.lookups = lookups;
    }
  }

  private final Map<Long, Node> byIno = new HashMap<>();
  private final Map<String, Node> byPath = new HashMap<>();
  private final Path dir;
  private FileChannel log;
  private FileChannel lockChannel;
  private FileLock lock;
  private long nextIno = ReadOnlyFileSystem.ROOT_INO + 1;
  private long records;

  private InodeTable(Path dir) {
    this.dir = dir;
    Node root = new Node(ReadOnlyFileSystem.ROOT_INO, "", UNKNOWN);
    byIno.put(root.ino, root);
    byPath.put(root.path, root);
  }

  /** A table that lives in memory only. */
  public static InodeTable inMemory() {
    return new InodeTable(null);
  }

  /**
   * Opens (or creates) the table persisted in {@code stateDir}. Only one process may have it open:
   * the lock is awaited for up to {@code lockWaitMillis} (a dying predecessor releases it on exit).
   */
  public static InodeTable persistent(Path stateDir, long lockWaitMillis) throws IOException {
    Files.createDirectories(stateDir);
    InodeTable t = new InodeTable(stateDir);
    t.acquireLock(lockWaitMillis);
    try {
      t.load();
    } catch (IOException | RuntimeException e) {
      t.close();
      throw e;
    }
    return t;
  }

  /**
   * Opens the table for a takeover from a predecessor that is exiting (it can write no more, but
   * the kernel releases its lock only after tearing that process down, 50-300 ms later): loads at
   * once, and a thread takes the lock as soon as it is free. {@code stillLocked} runs (with one
   * line) if another process still holds it after {@code lockWaitMillis}: two processes on one
   * state dir.
   */
  public static InodeTable takenOver(
      Path stateDir, long lockWaitMillis, java.util.function.Consumer<String> stillLocked)
      throws IOException {
    return takenOver(stateDir, lockWaitMillis, stillLocked, null);
  }

  /**
   * As {@link #takenOver(Path, long, java.util.function.Consumer)}, from what {@code ahead} (may be
   * null) read of the log while the predecessor was alive: only what it appended since is read.
   */
  public static InodeTable takenOver(
      Path stateDir,
      long lockWaitMillis,
      java.util.function.Consumer<String> stillLocked,
      InodePreload ahead)
      throws IOException {
    Files.createDirectories(stateDir);
    InodeTable preloaded = ahead == null ? null : ahead.finish();
    InodeTable t = preloaded != null ? preloaded : new InodeTable(stateDir);
    FileChannel ch =
        FileChannel.open(
            stateDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    t.lockChannel = ch;
    t.lock = t.tryLock();
    if (t.lock == null) {
      Thread locker =
          new Thread(
              () -> {
                long deadline = System.nanoTime() + lockWaitMillis * 1_000_000;
                try {
                  while (System.nanoTime() < deadline) {
                    FileLock l = t.tryLockOn(ch);
                    if (l != null) {
                      t.lockTaken(l);
                      return;
                    }
                    // 10 ms: the takeover serves meanwhile, and a poll every 2 ms took CPU from it
                    Thread.sleep(10);
                  }
                } catch (java.nio.channels.ClosedChannelException closedMeanwhile) {
                  return;
                } catch (IOException | InterruptedException e) {
                  // reported below
                }
                stillLocked.accept(
                    "inode table in "
                        + stateDir
                        + " is still in use by another ossfuse process "
                        + lockWaitMillis / 1000
                        + " s after the takeover");
              },
              "inode-table-lock");
      locker.setDaemon(true);
      locker.start();
    }
    try {
      if (preloaded != null) ahead.openLog();
      else t.load();
    } catch (IOException | RuntimeException e) {
      t.close();
      throw e;
    }
    return t;
  }

  private FileLock tryLockOn(FileChannel ch) throws IOException {
    try {
      return ch.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return null;
    }
  }

  private synchronized void lockTaken(FileLock l) {
    lock = l;
  }

  private void acquireLock(long waitMillis) throws IOException {
    lockChannel =
        FileChannel.open(
            dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    long deadline = System.nanoTime() + waitMillis * 1_000_000;
    while ((lock = tryLock()) == null) {
      if (System.nanoTime() > deadline) {
        lockChannel.close();
        throw new IOException("inode table in " + dir + " is in use by another ossfuse process");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted waiting for the inode table lock in " + dir);
      }
    }
  }

  private FileLock tryLock() throws IOException {
    try {
      return lockChannel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return null; // held by another table in this JVM
    }
  }

  private void load() throws IOException {
    long t0 = System.nanoTime();
    Files.deleteIfExists(dir.resolve(LOG_FILE + ".tmp"));
    Path file = dir.resolve(LOG_FILE);
    if (!Files.exists(file) || Files.size(file) < MAGIC.length) {
      writeFresh(file);
      return;
    }
    byte[] all = Files.readAllBytes(file);
    checkMagic(all, file);
    long[] r = replay(all, MAGIC.length);
    openLogAt(file, MAGIC.length + r[0], all.length, r[1], t0);
  }

  /** A table with nothing read yet and no log open: for {@link InodePreload}. */
  static InodeTable unopened(Path dir) {
    return new InodeTable(dir);
  }

  static void checkMagic(byte[] start, Path file) throws IOException {
    if (start.length < MAGIC.length
        || !java.util.Arrays.equals(start, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new IOException(
          file + " is not an ossfuse inode table (bad magic); move it away to start afresh");
    }
  }

  static int magicLength() {
    return MAGIC.length;
  }

  /**
   * Applies the whole records in {@code bytes} from {@code from} on; stops at a torn or damaged
   * one. Returns {bytes of whole records read, records applied}.
   */
  synchronized long[] replay(byte[] bytes, int from) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    b.position(from);
    long good = from;
    long n = 0;
    CRC32 c = new CRC32();
    while (b.remaining() > 0) {
      int start = b.position();
      try {
        byte type = b.get();
        long ino = b.getLong();
        String path = null;
        if (type == ADD) {
          int len = b.getInt();
          if (len < 0 || len > b.remaining()) break;
          byte[] p = new byte[len];
          b.get(p);
          path = new String(p, StandardCharsets.UTF_8);
        } else if (type != DEL && type != NEXT) {
          break;
        }
        int crc = b.getInt();
        c.reset();
        c.update(bytes, start, b.position() - 4 - start);
        if ((int) c.getValue() != crc) break;
        apply(type, ino, path);
        good = b.position();
        n++;
      } catch (java.nio.BufferUnderflowException torn) {
        break;
      }
    }
    return new long[] {good - from, n};
  }

  /**
   * Continues the log {@code file} after its first {@code good} bytes (whole records, {@code
   * records} of them); a torn tail up to {@code size} is cut off.
   */
  synchronized void openLogAt(Path file, long good, long size, long records, long startNanos)
      throws IOException {
    if (good < size) {
      LOG.warn("inode table {}: ignoring {} bytes of a torn tail", file, size - good);
    }
    log = FileChannel.open(file, StandardOpenOption.WRITE);
    log.truncate(good);
    log.position(good);
    this.records = records;
    LOG.info(
        "inode table {}: {} entries, next inode {}, read in {} ms",
        file,
        byIno.size(),
        nextIno,
        (System.nanoTime() - startNanos) / 1_000_000);
  }

  private void apply(byte type, long ino, String path) {
    switch (type) {
      case ADD -> {
        Node old = byPath.remove(path);
        if (old != null) byIno.remove(old.ino);
        Node n = new Node(ino, path, UNKNOWN);
        byIno.put(ino, n);
        byPath.put(path, n);
        nextIno = Math.max(nextIno, ino + 1);
      }
      case DEL -> {
        if (ino == ReadOnlyFileSystem.ROOT_INO) return;
        Node n = byIno.remove(ino);
        if (n != null) byPath.remove(n.path);
        nextIno = Math.max(nextIno, ino + 1);
      }
      case NEXT -> nextIno = Math.max(nextIno, ino);
      default -> throw new IllegalStateException();
    }
  }

  private void writeFresh(Path file) throws IOException {
    log =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
    log.write(ByteBuffer.wrap(MAGIC));
    records = 0;
  }

  /** The number of {@code path}, assigning one if needed; does not count a kernel reference. */
  public synchronized long assign(String path) {
    long ino = node(path).ino;
    maybeCompact();
    return ino;
  }

  /** The number of {@code path}, assigning one if needed, and counts one kernel reference. */
  public synchronized long lookup(String path) {
    Node n = node(path);
    if (n.lookups != UNKNOWN) {
      n.lookups++;
    } else {
      n.lookedUpSinceLoad = true;
    }
    // Only after the count is taken: a compaction keeps referenced entries only.
    maybeCompact();
    return n.ino;
  }

  /** The kernel dropped {@code nlookup} references; the entry goes once none is left. */
  public synchronized void forget(long ino, long nlookup) {
    if (ino == ReadOnlyFileSystem.ROOT_INO) return;
    Node n = byIno.get(ino);
    if (n == null) return;
    if (n.lookups != UNKNOWN) {
      n.lookups -= nlookup;
      if (n.lookups > 0) return;
    } else if (n.lookedUpSinceLoad) {
      return;
    }
    byIno.remove(ino);
    byPath.remove(n.path);
    append(DEL, ino, null);
    maybeCompact();
  }

  private void maybeCompact() {
    if (log == null || records <= COMPACT_MIN_RECORDS || records <= 2L * byIno.size()) return;
    try {
      compact();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot compact the inode table in " + dir + ": " + e.getMessage(), e);
    }
  }

  public synchronized Optional<String> path(long ino) {
    Node n = byIno.get(ino);
    return n == null ? Optional.empty() : Optional.of(n.path);
  }

  /** The current number of {@code path}, if it has one. */
  public synchronized Optional<Long> find(String path) {
    Node n = byPath.get(path);
    return n == null ? Optional.empty() : Optional.of(n.ino);
  }

  public synchronized int size() {
    return byIno.size();
  }

  /**
   * Lookup count of {@code ino}: -1 when unknown (loaded from the log), empty when not in the
   * table.
   */
  synchronized Optional<Long> lookups(long ino) {
    Node n = byIno.get(ino);
    return n == null ? Optional.empty() : Optional.of(n.lookups);
  }

  synchronized long logRecords() {
    return records;
  }

  private Node node(String path) {
    Node n = byPath.get(path);
    if (n != null) return n;
    n = new Node(nextIno++, path, 0);
    byIno.put(n.ino, n);
    byPath.put(path, n);
    append(ADD, n.ino, path);
    return n;
  }

  private void append(byte type, long ino, String path) {
    if (log == null) return;
    try {
      log.write(encode(type, ino, path));
      records++;
    } catch (IOException e) {
      // The numbers already handed out stay valid in memory; only a restart would lose them.
      throw new UncheckedIOException(
          "cannot write the inode table in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static ByteBuffer encode(byte type, long ino, String path) {
    byte[] p = path == null ? new byte[0] : path.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + (type == ADD ? 4 + p.length : 0) + 4);
    b.put(type).putLong(ino);
    if (type == ADD) b.putInt(p.length).put(p);
    CRC32 c = new CRC32();
    c.update(b.array(), 0, b.position());
    b.putInt((int) c.getValue());
    return b.flip();
  }

  /** Rewrites the log with the live entries only. Caller holds the lock. */
  synchronized void compact() throws IOException {
    if (log == null) return;
    byIno.values().removeIf(n -> n.lookups == 0 && n.ino != ReadOnlyFileSystem.ROOT_INO);
    byPath.values().removeIf(n -> n.lookups == 0 && n.ino != ReadOnlyFileSystem.ROOT_INO);
    Path file = dir.resolve(LOG_FILE);
    Path tmp = dir.resolve(LOG_FILE + ".tmp");
    long n = 0;
    try (FileChannel out =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 20);
      buf.put(MAGIC);
      for (ByteBuffer rec : iterable(encode(NEXT, nextIno, null))) buf = putGrow(buf, rec, out);
      n++;
      for (Node node : byIno.values()) {
        if (node.ino == ReadOnlyFileSystem.ROOT_INO) continue;
        buf = putGrow(buf, encode(ADD, node.ino, node.path), out);
        n++;
      }
      buf.flip();
      while (buf.hasRemaining()) out.write(buf);
      out.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // Directory fsync is best effort (only matters for power loss, not for a killed process).
    }
    log.close();
    log = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    records = n;
  }

  private static Iterable<ByteBuffer> iterable(ByteBuffer b) {
    return java.util.List.of(b);
  }

  private static ByteBuffer putGrow(ByteBuffer buf, ByteBuffer rec, FileChannel out)
      throws IOException {
    if (buf.remaining() < rec.remaining()) {
      buf.flip();
      while (buf.hasRemaining()) out.write(buf);
      buf.clear();
      if (buf.remaining() < rec.remaining()) buf = ByteBuffer.allocate(rec.remaining() * 2);
    }
    return buf.put(rec);
  }

  @Override
  public synchronized void close() {
    try {
      if (log != null) log.close();
      if (lock != null) lock.release();
      if (lockChannel != null) lockChannel.close();
    } catch (IOException e) {
      LOG.warn("closing inode table in {}: {}", dir, e.getMessage());
    } finally {
      log = null;
      lock = null;
      lockChannel = null;
    }
  }
}
