package io.ossfuse.cache;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Store}s of every level, top level first: at start each path gets its {@code
 * ossfuse.blocks/} directory (created, checked writable, locked against a second process); at close
 * the locks go.
 */
final class Levels {
  private static final Logger log = LoggerFactory.getLogger(Levels.class);
  static final String DIR_NAME = "ossfuse.blocks";

  /** stores.get(level) = the stores of that level. */
  final List<List<Store>> stores;

  private final List<FileChannel> lockChannels = new ArrayList<>();
  private final Store.TakeoverLock takeoverLock;
  private final CacheScan prescan;

  /**
   * @param takeoverLock null: a locked level is refused; else see {@link
   *     TieredBlockCache.Builder#takeoverLock}
   * @param prescan an index built ahead (may be null): block directories it found need no check
   * @throws CacheConfigException one line naming the level, path and fix; no lock is left held
   */
  Levels(TieredStoreConfig config, Store.TakeoverLock takeoverLock, CacheScan prescan) {
    this.takeoverLock = takeoverLock;
    this.prescan = prescan;
    List<List<Store>> all = new ArrayList<>();
    try {
      for (int l = 0; l < config.levels().size(); l++) {
        TierLevel level = config.levels().get(l);
        List<Store> ss = new ArrayList<>();
        for (int p = 0; p < level.paths().size(); p++) {
          ss.add(open(l, level, level.paths().get(p), level.quotas().get(p)));
        }
        all.add(List.copyOf(ss));
      }
    } catch (RuntimeException e) {
      releaseLocks();
      throw e;
    }
    this.stores = List.copyOf(all);
  }

  private Store open(int l, TierLevel level, Path path, long quota) {
    String where = "tieredstore level " + level.mediumType() + " path " + path;
    Path root = path.resolve(DIR_NAME);
    Store s = new Store(l, level.mediumType(), root, quota, level.high(), level.low());
    try {
      Files.createDirectories(s.tmpDir);
      // a takeover's index saw them all just now: 256 stats less while every request waits
      if (prescan == null || !prescan.hasAllDirs(root)) {
        for (int i = 0; i < 256; i++) {
          Path d = root.resolve(BlockId.dirName(i));
          if (!Files.isDirectory(d)) Files.createDirectories(d);
        }
      }
      Path probe = Files.createTempFile(s.tmpDir, "probe", ".tmp");
      Files.delete(probe);
    } catch (IOException | UnsupportedOperationException e) {
      throw new CacheConfigException(
          where
              + ": cannot create or write the cache directory "
              + root
              + " ("
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage()
              + "); create it writable or choose another path",
          e);
    }
    try {
      FileChannel ch =
          FileChannel.open(
              root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      Object fl;
      try {
        fl = Store.lock(ch, takeoverLock, where);
      } catch (OverlappingFileLockException e) {
        fl = null;
      }
      if (fl == null) {
        ch.close();
        throw new CacheConfigException(
            where
                + ": the directory is in use by another cache (lock "
                + root.resolve(".lock")
                + "); give each mount its own path");
      }
      lockChannels.add(ch);
    } catch (IOException e) {
      throw new CacheConfigException(
          where
              + ": cannot lock "
              + root.resolve(".lock")
              + " ("
              + e.getMessage()
              + "); check the directory",
          e);
    }
    // A takeover's predecessor on the same levels said so already (reading the mount table costs
    // milliseconds while every request waits).
    if (takeoverLock == null) warnAboutTheDisk(level, root, quota, where);
    return s;
  }

  private static void warnAboutTheDisk(TierLevel level, Path root, long quota, String where) {
    try {
      FileStore fs = Files.getFileStore(root);
      long total = fs.getTotalSpace();
      if (quota > total) {
        log.warn(
            "{}: quota {} is larger than the disk ({}); the level will fill the disk and fall through on ENOSPC",
            where,
            Sizes.format(quota),
            Sizes.format(total));
      }
      if (level.mediumType() == MediumType.MEM && !Set.of("tmpfs", "ramfs").contains(fs.type())) {
        log.warn(
            "{}: MEM level on a {} file system, not memory; use a tmpfs path such as /dev/shm/ossfuse",
            where,
            fs.type());
      }
    } catch (IOException e) {
      log.warn("{}: cannot check the disk size ({})", where, e.getMessage());
    }
  }

  int count() {
    return stores.size();
  }

  List<Store> of(int level) {
    return stores.get(level);
  }

  /** Every store, top level first. */
  List<Store> all() {
    return stores.stream().flatMap(List::stream).toList();
  }

  void releaseLocks() {
    for (FileChannel ch : lockChannels) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // the lock goes with the process anyway
      }
    }
    lockChannels.clear();
  }

  static String describe(TieredStoreConfig config) {
    StringBuilder sb = new StringBuilder();
    for (TierLevel l : config.levels()) {
      sb.append(l.mediumType())
          .append(' ')
          .append(Sizes.format(l.quota()))
          .append(' ')
          .append(l.paths())
          .append("; ");
    }
    return sb.toString();
  }
}
