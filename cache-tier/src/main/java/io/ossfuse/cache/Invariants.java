package io.ossfuse.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a cache at rest against the disk (tests, through {@link
 * TieredBlockCache#checkInvariants}).
 */
final class Invariants {
  private Invariants() {}

  /**
   * @throws AssertionError naming the first broken invariant
   */
  static void check(
      Levels levels,
      Map<BlockId, Entry> index,
      Flights flights,
      OpenFiles openFiles,
      int maxOpenFiles) {
    Set<Entry> inLru = new HashSet<>();
    for (Store s : levels.all()) {
      Store.Snapshot sn = s.snapshot(true);
      long sum = 0;
      for (Entry e : sn.lruOrder()) {
        sum += e.fileSize;
        inLru.add(e);
        if (index.get(e.id) != e) throw new AssertionError("LRU entry not in the index: " + e);
      }
      if (sn.reserved() != 0 || sn.pendingFree() != 0) {
        throw new AssertionError(
            s.type
                + " "
                + s.root
                + ": reserved "
                + sn.reserved()
                + ", pendingFree "
                + sn.pendingFree()
                + " at rest");
      }
      if (sn.used() != sum)
        throw new AssertionError(
            s.type + " " + s.root + ": used " + sn.used() + " != sum of blocks " + sum);
      if (sn.used() > sn.quota())
        throw new AssertionError(s.type + ": used " + sn.used() + " > quota " + sn.quota());
      Map<Path, Long> onDisk = new HashMap<>();
      try (var walk = Files.walk(s.root)) {
        walk.filter(Files::isRegularFile)
            .filter(p -> !p.getFileName().toString().equals(".lock"))
            .filter(p -> !WholeObjects.isSum(p))
            .forEach(
                p ->
                    onDisk.put(
                        p,
                        p.toFile().length()
                            + (p.toString().endsWith(WholeObjects.DATA_SUFFIX)
                                ? WholeObjects.sumFileLength(p)
                                : 0)));
      } catch (IOException e) {
        throw new AssertionError("cannot walk " + s.root, e);
      }
      Map<Path, Long> expected = new HashMap<>();
      for (Entry e : sn.lruOrder()) expected.put(e.path, e.fileSize);
      if (!onDisk.equals(expected)) {
        throw new AssertionError(
            s.type
                + " "
                + s.root
                + ": files on disk "
                + onDisk.keySet()
                + " != blocks "
                + expected.keySet());
      }
    }
    for (Entry e : index.values()) {
      if (!inLru.contains(e)) throw new AssertionError("index entry not in any LRU: " + e);
    }
    if (!flights.inFlight().isEmpty())
      throw new AssertionError("loads in flight at rest: " + List.copyOf(flights.inFlight()));
    Set<Entry> open = openFiles.cached();
    for (Entry e : open) {
      if (!inLru.contains(e))
        throw new AssertionError("open file of a block no longer cached: " + e);
    }
    if (open.size() > maxOpenFiles)
      throw new AssertionError(open.size() + " open files, cap " + maxOpenFiles);
    if (openFiles.unclosed() != open.size()) {
      throw new AssertionError(
          openFiles.unclosed() + " block files open at rest, " + open.size() + " of them shared");
    }
  }
}
