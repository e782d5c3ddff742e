package io.ossfuse.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where block files go and when they leave: writes a new block into the highest store that can
 * reserve room for it, evicts down to the watermarks (demoting into the next level, deleting from
 * the last), promotes a block hit below the top, and deletes dropped blocks.
 *
 * <p><b>Ownership, not locks, makes it correct.</b> Every block file is owned by exactly one party:
 * the writer that created it (from its temp name until {@link Store#commit}), its store's LRU
 * (committed), or a thread that {@link Store#claim claimed} it from the LRU (to evict, demote,
 * promote or drop it). Claiming is a remove under the store lock, so exactly one thread moves or
 * deletes a given file, and it alone fixes the accounting ({@link Store#release}) after the file is
 * gone. The index is only a lookup hint updated by compare-and-set on Entry identity ({@code
 * replace(id, old, new)}, {@code remove(id, old)}): a mover whose CAS fails lost a race (the block
 * was dropped or re-written meanwhile) and deletes its copy. A reader may hold an Entry whose file
 * is being moved: an open fd keeps reading the old inode (files are immutable once renamed), and a
 * file already gone is a retry or a miss. A deleted entry is marked, and its shared open file
 * ({@link OpenFiles}) closes when the reads using it are done.
 *
 * <p><b>Space is reserved before a byte is written.</b> {@link Store#tryReserve} runs under the
 * store lock: it admits {@code size} only if {@code used + reserved + size <= quota}, where {@code
 * used} keeps counting a victim's bytes until its file is deleted. So the bytes on disk never
 * exceed the quota, even with many writers and evictions in flight. Eviction victims are chosen in
 * the same critical section (LRU order, until usage not yet being freed is at or under quota*low)
 * and then moved or deleted by the reserving thread outside the lock; I/O never happens under a
 * lock, and locks are never nested, so there is no lock-order deadlock. Nobody waits for space
 * either: a reservation that does not fit now moves on to the next store or level, or leaves the
 * block uncached. Demotion reserves in a lower level (which may evict further down); a failure
 * there deletes the victim. ENOSPC lowers that store's quota to its usage so eviction makes room
 * from then on.
 */
final class Placement {
  private static final Logger log = LoggerFactory.getLogger(Placement.class);

  /**
   * A block being written: created and opened in one call, owner-only (cached object data), named
   * by process and sequence (Files.createTempFile draws a SecureRandom name and needs a second
   * open: a fifth of a small block's store). Names a dead process left are deleted by the next
   * start's scan ({@link RestartScan}); a clash fails like a lost race.
   */
  private static final Set<StandardOpenOption> NEW_BLOCK =
      EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private static final String TMP_PREFIX = "w" + ProcessHandle.current().pid() + "-";
  private static final AtomicLong tmpSeq = new AtomicLong();

  private final Levels levels;
  private final ConcurrentHashMap<BlockId, Entry> index;
  private final OpenFiles openFiles;
  private final WholeObjects wholes;
  private final Counters counters;
  private final int blockSize;
  private final int chunkSize;
  private final boolean fsync;
  private final BooleanSupplier closed;

  Placement(
      Levels levels,
      ConcurrentHashMap<BlockId, Entry> index,
      OpenFiles openFiles,
      WholeObjects wholes,
      Counters counters,
      int blockSize,
      int chunkSize,
      boolean fsync,
      BooleanSupplier closed) {
    this.levels = levels;
    this.index = index;
    this.openFiles = openFiles;
    this.wholes = wholes;
    this.counters = counters;
    this.blockSize = blockSize;
    this.chunkSize = chunkSize;
    this.fsync = fsync;
    this.closed = closed;
  }

  @FunctionalInterface
  private interface Content {
    void writeTo(FileChannel ch) throws IOException;
  }

  /**
   * Caches a freshly loaded block in the highest store that takes it; silently skips on failure.
   *
   * @return whether a file was committed (it may have been invalidated again since)
   */
  boolean store(BlockKey key, BlockId id, ByteBuffer block) {
    if (closed.getAsBoolean()) return false;
    ByteBuffer header = BlockHeader.encode(key, block, chunkSize, blockSize);
    long size = (long) header.remaining() + block.remaining();
    Content content =
        ch -> {
          ByteBuffer[] parts = {header.duplicate(), block.duplicate()};
          while (parts[1].hasRemaining()) ch.write(parts);
        };
    Entry e = place(id, size, content, 0, levels.count());
    if (e == null) return false;
    Entry prev = index.put(id, e);
    e.store.commit(e);
    if (prev != null && prev != e) {
      // a dangling entry whose file vanished and was re-created by us under the same name
      if (prev.path.equals(e.path)) {
        if (prev.store.claim(prev)) prev.store.release(prev);
      } else {
        drop(prev);
      }
    }
    if (index.get(id) != e && e.store.claim(e)) deleteAndRelease(e); // invalidated meanwhile
    return true;
  }

  /**
   * Writes a block file into the first store of levels [from, to) that can reserve room for it.
   *
   * @return the written, renamed but not yet committed entry (its bytes are reserved), or null
   */
  private Entry place(BlockId id, long size, Content content, int from, int to) {
    for (int l = from; l < to; l++) {
      List<Store> candidates = new ArrayList<>(levels.of(l));
      if (candidates.size() > 1) candidates.sort(Comparator.comparingLong(Store::free).reversed());
      for (Store s : candidates) {
        if (!reserve(s, size)) continue;
        Entry e = write(s, id, size, content);
        if (e != null) return e;
      }
    }
    return null;
  }

  /**
   * Reserves {@code size} bytes in {@code s}, evicting as needed. Never waits for other threads:
   * when the room is held by writes or evictions in flight elsewhere, the block goes to the next
   * store or level (or is not cached). Waiting there chains up across levels and stalls readers for
   * nothing.
   *
   * @return false when it does not fit now
   */
  boolean reserve(Store s, long size) {
    while (true) {
      Store.Reservation r = s.tryReserve(size);
      evict(r.victims());
      if (r.granted()) return true;
      if (r.hopeless() || r.victims().isEmpty() || closed.getAsBoolean()) return false;
      // our own victims are gone now: try once more
    }
  }

  /**
   * Writes to a temp file, then links it under its final name. Gives the reservation back on
   * failure.
   */
  private Entry write(Store s, BlockId id, long size, Content content) {
    Path tmp = null;
    try {
      Path name = s.tmpDir.resolve(TMP_PREFIX + tmpSeq.incrementAndGet() + ".tmp");
      FileChannel created = FileChannel.open(name, NEW_BLOCK, OWNER_ONLY);
      tmp = name; // (not before: a name that clashed is not ours to delete)
      try (FileChannel ch = created) {
        content.writeTo(ch);
        if (ch.size() != size)
          throw new IOException("wrote " + ch.size() + " bytes, expected " + size);
        if (fsync && s.type != MediumType.MEM) ch.force(false);
      }
      Path dst = s.pathFor(id);
      Files.createLink(dst, tmp); // unlike rename, never replaces a file someone else owns
      deleteQuietly(tmp);
      return new Entry(id, s, dst, size);
    } catch (FileAlreadyExistsException raced) {
      if (tmp != null) deleteQuietly(tmp);
      s.unreserve(size);
      return null;
    } catch (IOException | UncheckedIOException e) {
      if (tmp != null) deleteQuietly(tmp);
      s.unreserve(size);
      counters.ioErrors.increment();
      String msg = String.valueOf(e.getMessage());
      if (msg.contains("No space left")) {
        long q = s.lowerQuotaToUsage();
        log.warn(
            "tieredstore level {} at {}: disk full; quota lowered to {} until restart, falling through",
            s.type,
            s.root,
            Sizes.format(q));
      } else if (s.shouldWarn()) {
        log.warn(
            "tieredstore level {} at {}: cannot write a block ({}); falling through (further errors for 10 s at DEBUG)",
            s.type,
            s.root,
            e.toString());
      } else {
        log.debug(
            "tieredstore level {} at {}: cannot write a block ({})", s.type, s.root, e.toString());
      }
      return null;
    }
  }

  /** Moves claimed victims one level down where possible, otherwise deletes them. */
  private void evict(List<Entry> victims) {
    for (Entry v : victims) {
      v.store.evictions.increment();
      Entry moved = null;
      // a whole-object file is deleted, not demoted: the level below gets blocks on the next miss
      if (v.store.level + 1 < levels.count()
          && !closed.getAsBoolean()
          && v.id.index() != BlockId.WHOLE) {
        moved =
            place(v.id, v.fileSize, ch -> copyFile(v.path, ch), v.store.level + 1, levels.count());
        if (moved != null) {
          if (index.replace(v.id, v, moved)) {
            moved.store.commit(moved);
            counters.demotions.increment();
            if (index.get(v.id) != moved && moved.store.claim(moved)) deleteAndRelease(moved);
          } else {
            deleteQuietly(moved.path);
            moved.store.unreserve(moved.fileSize);
            moved = null;
          }
        }
      }
      if (moved == null) index.remove(v.id, v);
      deleteAndRelease(v);
    }
  }

  /** Moves a block hit in a lower level up to the top level. */
  void promote(Entry e) {
    if (closed.getAsBoolean() || index.get(e.id) != e || !e.store.claim(e)) return;
    Entry up = place(e.id, e.fileSize, ch -> copyFile(e.path, ch), 0, e.store.level);
    if (up != null && index.replace(e.id, e, up)) {
      up.store.commit(up);
      counters.promotions.increment();
      if (index.get(e.id) != up && up.store.claim(up)) deleteAndRelease(up);
      deleteAndRelease(e);
      return;
    }
    if (up != null) {
      deleteQuietly(up.path);
      up.store.unreserve(up.fileSize);
    }
    e.store.unclaim(e);
    if (index.get(e.id) != e && e.store.claim(e)) deleteAndRelease(e);
  }

  private static void copyFile(Path from, FileChannel to) throws IOException {
    try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ)) {
      long size = in.size(), pos = 0;
      while (pos < size) {
        long n = in.transferTo(pos, size - pos, to);
        if (n <= 0) throw new IOException("short copy of " + from);
        pos += n;
      }
    }
  }

  /** Deletes an entry that was just removed from the index, if no one else owns it already. */
  void drop(Entry e) {
    if (e.store.claim(e)) deleteAndRelease(e);
  }

  private void deleteAndRelease(Entry e) {
    e.deleted = true;
    openFiles.close(e); // a deleted file held open would keep its space
    deleteQuietly(e.path);
    if (e.id.index() == BlockId.WHOLE) {
      wholes.deleted(e); // its space is given back when no one holds it open
    } else {
      e.store.release(e);
    }
  }

  static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      log.debug("cannot delete {}: {}", p, e.toString());
    }
  }
}
