package io.ossfuse.cache;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The index of a tiered cache's block files built ahead of its open, by a process that may not lock
 * the cache yet: a standby child, while the active child owns the cache. It only reads (never
 * deletes or locks). Per block directory it keeps what {@link RestartScan} would make of it (the
 * blocks with their sizes and mtimes, and the stray files to delete), so opening the cache with it
 * ({@link TieredBlockCache.Builder#prescanned}) costs no listing, stat or parse for a directory
 * that did not change since.
 *
 * <p>A directory changed when its mtime differs (a block file created, renamed in or deleted
 * changes it). A listing taken in the same clock tick as a change may miss it with the same mtime,
 * so a directory whose mtime is within {@link #RACY_MILLIS} of its listing is listed again at the
 * next {@link #refresh} and never reused as it is. File mtimes of reused listings may be older than
 * on disk (a hit refreshes a block's mtime): they only order the LRU, approximately anyway.
 *
 * <p>{@link #refresh refresh(true)} once the owner is gone (no thread of it is in a system call any
 * more) makes the index final: every directory was checked just now and nothing changes it, so the
 * open takes every listing as it is, without checking the directory's mtime a second time.
 */
public final class CacheScan {
  static final long RACY_MILLIS = 2000;

  /** A block file as found: its size counts a whole object's checksum file too. */
  record Block(BlockId id, Path path, long size, long mtime) {}

  /** One directory as {@link RestartScan} sees it: blocks to adopt, files to delete. */
  record DirIndex(List<Block> blocks, List<Path> strays) {}

  /** One directory's index and its mtime when listed. */
  private record Listing(FileTime dirMtime, boolean racy, DirIndex index) {}

  private final List<Path> dirs = new ArrayList<>();
  private final Map<Path, Listing> listings = new ConcurrentHashMap<>();
  private int lastRelisted;
  private volatile boolean settled;

  private CacheScan(TieredStoreConfig config) {
    for (TierLevel level : config.levels()) {
      for (Path p : level.paths()) {
        Path root = p.resolve(TieredBlockCache.DIR_NAME);
        for (int i = 0; i < 256; i++) {
          dirs.add(root.resolve(BlockId.dirName(i)));
        }
      }
    }
  }

  /** Lists every block directory of {@code config}'s levels now (missing ones are listed later). */
  public static CacheScan of(TieredStoreConfig config) {
    CacheScan s = new CacheScan(config);
    s.refresh(false);
    return s;
  }

  /**
   * Lists again the directories that changed (or were racy) since their listing; returns how many.
   * {@code ownerGone}: nobody writes to the cache any more (its owner died), so every listing taken
   * now stays true, and the index is final.
   */
  public synchronized int refresh(boolean ownerGone) {
    int n = 0;
    for (Path d : dirs) {
      Listing l = listings.get(d);
      FileTime m = mtime(d);
      if (m == null) {
        listings.remove(d);
        continue;
      }
      if (l != null && !l.racy() && l.dirMtime().equals(m)) continue;
      Listing fresh = list(d, m, ownerGone);
      if (fresh == null) {
        listings.remove(d);
      } else {
        listings.put(d, fresh);
      }
      n++;
    }
    lastRelisted = n;
    settled = ownerGone;
    return n;
  }

  /** How many directories the last {@link #refresh} listed again. */
  public synchronized int lastRelisted() {
    return lastRelisted;
  }

  /** How many block files the index holds (for logs and tests). */
  public int blocks() {
    int n = 0;
    for (Listing l : listings.values()) n += l.index().blocks().size();
    return n;
  }

  /** Whether all 256 block directories under {@code root} exist (as of the last refresh). */
  boolean hasAllDirs(Path root) {
    for (int i = 0; i < 256; i++) {
      if (!listings.containsKey(root.resolve(BlockId.dirName(i)))) return false;
    }
    return true;
  }

  /**
   * The index of {@code dir} if it is still what is on disk; null to index it afresh. Final after
   * {@code refresh(true)}; before that, checked against the directory's mtime.
   */
  DirIndex current(Path dir) {
    Listing l = listings.get(dir);
    if (l == null || l.racy()) return null;
    if (settled) return l.index();
    FileTime m = mtime(dir);
    return m != null && m.equals(l.dirMtime()) ? l.index() : null;
  }

  /** {@code dir}'s index from {@code scan} when it holds a current one, else from the disk. */
  static DirIndex indexOf(CacheScan scan, Path dir) throws IOException {
    DirIndex i = scan == null ? null : scan.current(dir);
    return i != null ? i : index(dir);
  }

  /**
   * Lists {@code dir} and sorts its files into blocks and strays (temp leftovers, files of another
   * directory, too short or unreadable ones, a whole object without its checksum file). No file is
   * opened: headers are checked on first read.
   */
  static DirIndex index(Path dir) throws IOException {
    Map<Path, BasicFileAttributes> files = new HashMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        try {
          files.put(p, Files.readAttributes(p, BasicFileAttributes.class));
        } catch (IOException gone) {
          // deleted meanwhile: the directory's mtime changed, so it is listed again
        }
      }
    } catch (DirectoryIteratorException e) {
      throw e.getCause();
    }
    String dirName = dir.getFileName().toString();
    List<Block> blocks = new ArrayList<>();
    List<Path> strays = new ArrayList<>();
    for (Map.Entry<Path, BasicFileAttributes> f : files.entrySet()) {
      Path p = f.getKey();
      if (WholeObjects.isSum(p)) continue; // goes with its data file
      BlockId id = BlockId.parse(p.getFileName().toString());
      BasicFileAttributes a = f.getValue();
      boolean whole = id != null && id.index() == BlockId.WHOLE;
      long sumLen = -1;
      if (whole) {
        BasicFileAttributes s = files.get(WholeObjects.sumPath(p));
        sumLen = s == null ? -1 : s.size();
      }
      if (id == null
          || !a.isRegularFile()
          || (!whole && a.size() < BlockHeader.MIN_LEN)
          || (whole && sumLen < 0)
          || !id.dirName().equals(dirName)) {
        strays.add(p);
        continue;
      }
      blocks.add(new Block(id, p, a.size() + Math.max(0, sumLen), a.lastModifiedTime().toMillis()));
    }
    return new DirIndex(List.copyOf(blocks), List.copyOf(strays));
  }

  private static Listing list(Path dir, FileTime mtime, boolean ownerGone) {
    long listedAt = System.currentTimeMillis();
    DirIndex index;
    try {
      index = index(dir);
    } catch (IOException e) {
      return null;
    }
    boolean racy = !ownerGone && listedAt - mtime.toMillis() < RACY_MILLIS;
    return new Listing(mtime, racy, index);
  }

  private static FileTime mtime(Path dir) {
    try {
      return Files.readAttributes(dir, BasicFileAttributes.class).lastModifiedTime();
    } catch (IOException e) {
      return null;
    }
  }
}
