package io.ossfuse.cache;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.FileTime;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads of blocks that have a file: through the shared open file ({@link OpenFiles}), checking the
 * header and each chunk the read touches before a byte is reported; a damaged or vanished file is
 * dropped and the read is a miss. A hit refreshes the block's LRU place (and, at most every {@value
 * #TOUCH_INTERVAL_SECONDS} s, its mtime, the LRU order after a restart) and, below the top level,
 * starts its promotion in the background.
 */
final class CachedReads {
  private static final Logger log = LoggerFactory.getLogger(CachedReads.class);
  static final int TOUCH_INTERVAL_SECONDS = 10;

  private final ConcurrentHashMap<BlockId, Entry> index;
  private final OpenFiles openFiles;
  private final Placement placement;
  private final Counters counters;
  private final int blockSize;
  private final boolean promotion;

  /** Runs a task in the background; false when the queue is full or the cache closed. */
  private final Predicate<Runnable> background;

  private final Set<BlockId> promoting = ConcurrentHashMap.newKeySet();

  CachedReads(
      ConcurrentHashMap<BlockId, Entry> index,
      OpenFiles openFiles,
      Placement placement,
      Counters counters,
      int blockSize,
      boolean promotion,
      Predicate<Runnable> background) {
    this.index = index;
    this.openFiles = openFiles;
    this.placement = placement;
    this.counters = counters;
    this.blockSize = blockSize;
    this.promotion = promotion;
    this.background = background;
  }

  /**
   * @return bytes copied, or -1 on a miss
   * @throws InterruptedIOException only when the calling thread was interrupted (the block stays
   *     cached)
   */
  int read(BlockKey key, BlockId id, int off, ByteBuffer dst) throws InterruptedIOException {
    Entry seen = null;
    boolean ownFile = false;
    for (int attempt = 0; attempt < 4; attempt++) {
      Entry e = index.get(id);
      if (e == null) return -1;
      OpenFiles.OpenFile f = null;
      try {
        f = ownFile ? null : openFiles.acquire(e);
        if (f == null) f = openFiles.open(e, key, blockSize, !ownFile);
        FileChannel ch = f.channel;
        // a different key only on a BlockId hash collision: its header check then fails
        BlockHeader h = f.key.equals(key) ? f.header : BlockHeader.read(ch, key, blockSize);
        int n = off >= h.dataLen ? 0 : Math.min(dst.remaining(), h.dataLen - off);
        int pos = dst.position();
        ByteBuffer view = dst.duplicate().limit(pos + n);
        BlockHeader.readFully(ch, view, (long) h.headerLen + off);
        h.verify(ch, dst.duplicate().limit(pos + n), off, n);
        dst.position(pos + n);
        onHit(e);
        return n;
      } catch (NoSuchFileException gone) {
        // moved (demoted/promoted) under us: the index points at the new place; or really gone
        if (e == seen) {
          if (index.remove(id, e)) placement.drop(e);
          return -1;
        }
        seen = e;
      } catch (ClosedByInterruptException interrupted) {
        throw new InterruptedIOException("interrupted reading a cached block");
      } catch (ClosedChannelException closedUnderUs) {
        // a shared file closed by another reader's interrupt (an interrupted read closes its
        // channel);
        // the retry opens the file for this read alone, so that never turns a hit into a load
        if (Thread.currentThread().isInterrupted())
          throw new InterruptedIOException("interrupted reading a cached block");
        if (f != null) openFiles.forget(e, f);
        ownFile = true;
      } catch (CorruptBlockException | EOFException bad) {
        counters.corruptBlocks.increment();
        log.warn(
            "cache block {} of {} is damaged ({}); dropping it and fetching again",
            e,
            key,
            bad.getMessage());
        if (index.remove(id, e)) placement.drop(e);
        return -1;
      } catch (IOException io) {
        counters.ioErrors.increment();
        if (e.store.shouldWarn()) {
          log.warn(
              "cache block {} cannot be read ({}); reading from the origin (further errors for 10 s at DEBUG)",
              e,
              io.toString());
        } else {
          log.debug("cache block {} cannot be read ({})", e, io.toString());
        }
        if (index.remove(id, e)) placement.drop(e);
        return -1;
      } finally {
        if (f != null) f.release();
      }
    }
    return -1;
  }

  void onHit(Entry e) {
    e.store.hits.increment();
    e.store.touch(e);
    long now = System.nanoTime();
    if (now - e.touchedNanos > TimeUnit.SECONDS.toNanos(TOUCH_INTERVAL_SECONDS)) {
      e.touchedNanos = now;
      try {
        Files.setLastModifiedTime(e.path, FileTime.fromMillis(System.currentTimeMillis()));
      } catch (IOException ignored) {
        // only the restart LRU order suffers
      }
    }
    if (promotion && e.store.level > 0 && promoting.add(e.id)) {
      boolean queued =
          background.test(
              () -> {
                try {
                  placement.promote(e);
                } finally {
                  promoting.remove(e.id);
                }
              });
      if (!queued) promoting.remove(e.id);
    }
  }

  /** Whether a promotion is queued or running (tests). */
  boolean promoting() {
    return !promoting.isEmpty();
  }
}
