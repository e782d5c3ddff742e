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
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A listing of a tiered cache's block directories taken ahead of its open, by a process that may
 * not lock the cache yet: a standby child, while the active child owns the cache. It only reads
 * (never deletes or locks); {@link TieredBlockCache} then takes each directory's listing from here
 * instead of listing and stat-ing its files again, when the directory did not change since.
 *
 * <p>A directory changed when its mtime differs (a block file created, renamed in or deleted
 * changes it). A listing taken in the same clock tick as a change may miss it with the same mtime,
 * so a directory whose mtime is within {@link #RACY_MILLIS} of its listing is listed again at the
 * next {@link #refresh} and never reused as it is. File mtimes of reused listings may be older than
 * on disk (a hit refreshes a block's mtime): they only order the LRU, approximately anyway.
 */
public final class CacheScan {
  static final long RACY_MILLIS = 2000;

  /**
   * One directory's listing: its mtime when listed, and each file's attributes (null: unreadable).
   */
  private record Listing(FileTime dirMtime, boolean racy, Map<Path, BasicFileAttributes> files) {}

  private final List<Path> dirs = new ArrayList<>();
  private final Map<Path, Listing> listings = new ConcurrentHashMap<>();
  private int lastRelisted;

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
   * now stays true.
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
    return n;
  }

  /** How many directories the last {@link #refresh} listed again. */
  public synchronized int lastRelisted() {
    return lastRelisted;
  }

  /** The listing of {@code dir} if it is still what is on disk; null to list it afresh. */
  Map<Path, BasicFileAttributes> current(Path dir) {
    Listing l = listings.get(dir);
    if (l == null || l.racy()) return null;
    FileTime m = mtime(dir);
    return m != null && m.equals(l.dirMtime()) ? l.files() : null;
  }

  /**
   * {@code dir}'s entries: from {@code scan} when it holds a current listing, else from the disk.
   * {@link #attributes} then answers for them without a stat.
   */
  static DirectoryStream<Path> open(CacheScan scan, Path dir) throws IOException {
    Map<Path, BasicFileAttributes> files = scan == null ? null : scan.current(dir);
    if (files == null) return Files.newDirectoryStream(dir);
    List<Path> names = List.copyOf(files.keySet());
    return new DirectoryStream<>() {
      @Override
      public Iterator<Path> iterator() {
        return names.iterator();
      }

      @Override
      public void close() {}
    };
  }

  /** The attributes of {@code p} as listed, else read now; null if it cannot be read. */
  static BasicFileAttributes attributes(CacheScan scan, Path p) {
    if (scan != null) {
      Listing l = scan.listings.get(p.getParent());
      BasicFileAttributes a = l == null ? null : l.files().get(p);
      if (a != null) return a;
    }
    try {
      return Files.readAttributes(p, BasicFileAttributes.class);
    } catch (IOException e) {
      return null;
    }
  }

  private static Listing list(Path dir, FileTime mtime, boolean ownerGone) {
    long listedAt = System.currentTimeMillis();
    Map<Path, BasicFileAttributes> files = new HashMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        try {
          files.put(p, Files.readAttributes(p, BasicFileAttributes.class));
        } catch (IOException gone) {
          // deleted meanwhile: the directory's mtime changed, so it is listed again
        }
      }
    } catch (IOException | DirectoryIteratorException e) {
      return null;
    }
    boolean racy = !ownerGone && listedAt - mtime.toMillis() < RACY_MILLIS;
    return new Listing(mtime, racy, Map.copyOf(files));
  }

  private static FileTime mtime(Path dir) {
    try {
      return Files.readAttributes(dir, BasicFileAttributes.class).lastModifiedTime();
    } catch (IOException e) {
      return null;
    }
  }
}
