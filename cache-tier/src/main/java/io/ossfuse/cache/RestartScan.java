package io.ossfuse.cache;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the index at start from the file names and sizes in every store (no file is opened;
 * headers are checked on first read). Files are adopted oldest-mtime first, approximating the LRU
 * order; temp and stray files are deleted; of a block found in two levels (a crash during a move)
 * the upper copy stays.
 */
final class RestartScan {
  private static final Logger log = LoggerFactory.getLogger(RestartScan.class);

  private record Found(Store store, BlockId id, Path path, long size, long mtime) {}

  private RestartScan() {}

  /**
   * @param prescan an index built ahead (may be null): its directories that did not change are
   *     taken as they are, without a listing
   * @return the number of blocks adopted
   */
  static int rebuild(
      List<List<Store>> stores, Map<BlockId, Entry> index, Versions versions, CacheScan prescan) {
    List<Found> found = new ArrayList<>();
    for (List<Store> ss : stores) {
      for (Store s : ss) {
        deleteAll(s.tmpDir);
        IntStream dirs = IntStream.range(0, 256);
        // Without an index, directories in parallel: a stat per file dominates, and 100,000 files
        // must take seconds at most. With one, most come from memory: a thread pool costs more.
        if (prescan == null) dirs = dirs.parallel();
        List<List<Found>> perDir =
            dirs.mapToObj(i -> scanDir(s, s.root.resolve(BlockId.dirName(i)), prescan)).toList();
        perDir.forEach(found::addAll);
      }
    }
    // oldest first so the most recently used end up youngest in the LRU
    found.sort(Comparator.comparingLong(Found::mtime));
    int adopted = 0;
    for (Found f : found) {
      Entry e = new Entry(f.id(), f.store(), f.path(), f.size());
      Entry prev = index.get(f.id());
      if (prev != null) {
        // a copy in two levels (a crash during a move): keep the upper one
        Entry loser = prev.store.level <= e.store.level ? e : prev;
        if (loser == prev) {
          prev.store.claim(prev);
          Placement.deleteQuietly(prev.path);
          prev.store.release(prev);
          index.put(f.id(), e);
          e.store.adopt(e);
        } else {
          Placement.deleteQuietly(e.path);
        }
        continue;
      }
      index.put(f.id(), e);
      e.store.adopt(e);
      versions.adopt(f.id());
      adopted++;
    }
    return adopted;
  }

  /**
   * The blocks of {@code dir}, from {@code prescan} (may be null) where it did not change; deletes
   * its stray files.
   */
  private static List<Found> scanDir(Store s, Path dir, CacheScan prescan) {
    CacheScan.DirIndex di;
    try {
      di = CacheScan.indexOf(prescan, dir);
    } catch (IOException e) {
      throw new CacheConfigException(
          "tieredstore level "
              + s.type
              + ": cannot scan "
              + dir
              + " ("
              + e.getMessage()
              + "); check the directory or remove it",
          e);
    }
    for (Path p : di.strays()) {
      log.debug("removing stray file {}", p);
      Placement.deleteQuietly(p);
      BlockId id = BlockId.parse(p.getFileName().toString());
      if (id != null && id.index() == BlockId.WHOLE) {
        Placement.deleteQuietly(WholeObjects.sumPath(p));
      }
    }
    List<Found> found = new ArrayList<>(di.blocks().size());
    for (CacheScan.Block b : di.blocks()) {
      found.add(new Found(s, b.id(), b.path(), b.size(), b.mtime()));
    }
    return found;
  }

  private static void deleteAll(Path dir) {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) Placement.deleteQuietly(p);
    } catch (IOException e) {
      log.debug("cannot clean {}: {}", dir, e.toString());
    }
  }
}
