package io.ossfuse.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Block files kept open between reads, at most {@code max} of them (one fd each): a Caffeine cache
 * from an {@link Entry} to its open file. An open file keeps its parsed header and which chunks
 * were found sound, so a repeated read of a checked chunk is one {@code pread}. Which file leaves
 * at the cap is Caffeine's choice (Window TinyLFU: files read recently or often stay), so a random
 * reader over more blocks than the cap keeps its hot blocks open rather than losing arbitrary ones.
 *
 * <p>The cache holds one reference to each file and every read holds one more ({@link #acquire},
 * {@link #open}, then {@link OpenFile#release}); the file is closed when the last reference goes.
 * So a file that leaves the cache (size cap, a deleted or moved block, close) while a read uses it
 * stays open under that read. Eviction and its removal listener run on the caller's thread: no
 * executor, and the fd count stays at the cap plus the files pinned by reads in progress.
 */
final class OpenFiles {
  private static final Logger log = LoggerFactory.getLogger(OpenFiles.class);
  private final Cache<Entry, OpenFile> files;

  /** Files open now, in the cache or pinned by reads (tests). */
  private final AtomicInteger unclosed = new AtomicInteger();

  OpenFiles(int max) {
    this.files =
        Caffeine.newBuilder()
            .maximumSize(max)
            .executor(Runnable::run)
            .removalListener(
                (Entry e, OpenFile f, RemovalCause cause) -> {
                  if (f != null) f.release(); // the cache's reference
                })
            .build();
  }

  /**
   * At most a quarter of the process's file descriptor limit: an open failing with EMFILE would
   * read as a local I/O error and drop a sound block.
   */
  static int withinFdLimit(int wanted) {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean os) {
      long cap = Math.max(16, os.getMaxFileDescriptorCount() / 4);
      if (wanted > cap) {
        log.info(
            "tiered cache: {} block files kept open at most (a quarter of the fd limit {}), not {}",
            cap,
            os.getMaxFileDescriptorCount(),
            wanted);
        return (int) cap;
      }
    }
    return wanted;
  }

  /**
   * An open block file, kept to save an open, a close and a header parse per read. Its header was
   * checked against {@code key} when it was opened, and it remembers which chunks have been
   * verified since ({@link BlockHeader#verify}): a file is immutable once renamed, so one check per
   * open suffices.
   */
  final class OpenFile extends RefCounted {
    final FileChannel channel;
    final BlockKey key;
    final BlockHeader header;

    private OpenFile(FileChannel channel, BlockKey key, BlockHeader header) {
      this.channel = channel;
      this.key = key;
      this.header = header;
    }

    @Override
    void free() {
      unclosed.decrementAndGet();
      closeQuietly(channel);
    }
  }

  /**
   * @return the shared open file of {@code e}, held for the caller (release it), or null when none
   */
  OpenFile acquire(Entry e) {
    OpenFile f = files.getIfPresent(e);
    return f != null && f.retain() ? f : null;
  }

  /**
   * Opens the file of {@code e} and checks its header against {@code key}; shares it when {@code
   * share} and no other file of {@code e} is open. Held for the caller (release it).
   */
  OpenFile open(Entry e, BlockKey key, int blockSize, boolean share) throws IOException {
    FileChannel ch = FileChannel.open(e.path, StandardOpenOption.READ);
    unclosed.incrementAndGet();
    OpenFile f;
    try {
      f = new OpenFile(ch, key, BlockHeader.read(ch, key, blockSize));
    } catch (IOException | RuntimeException x) {
      unclosed.decrementAndGet();
      closeQuietly(ch);
      throw x;
    }
    if (share) {
      f.retain(); // the cache's reference
      if (files.asMap().putIfAbsent(e, f) != null) {
        f.release(); // another reader shared its own first: this one is for this read only
      } else if (e.deleted) {
        // the deleter sets deleted before it closes the entry's file: one of us sees the other
        close(e);
      }
    }
    return f;
  }

  /** Takes {@code e}'s file out of the cache; it closes when the reads using it are done. */
  void close(Entry e) {
    files.invalidate(e);
  }

  /** Takes out {@code f} only if it is still {@code e}'s shared file (one an interrupt closed). */
  void forget(Entry e, OpenFile f) {
    files.asMap().remove(e, f);
  }

  void closeAll() {
    files.invalidateAll();
    files.cleanUp();
  }

  /** Entries with a file in the cache (tests). */
  java.util.Set<Entry> cached() {
    files.cleanUp();
    return java.util.Set.copyOf(files.asMap().keySet());
  }

  /** Files open now, shared or pinned by a read (tests). */
  int unclosed() {
    return unclosed.get();
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // read-only channel: nothing to lose
    }
  }
}
