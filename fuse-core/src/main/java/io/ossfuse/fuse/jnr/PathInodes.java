package io.ossfuse.fuse.jnr;

import io.ossfuse.fs.FsException;
import io.ossfuse.fs.ReadOnlyFileSystem;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * The inode of each path libfuse asked about, holding one lookup reference of the filesystem per
 * path. libfuse 2.9's high-level API never says which paths the kernel forgot, so the table is
 * bounded: past {@code capacity} paths the least recently resolved one is forgotten, unless a
 * handle is open on its inode (then its reference goes at the last release). Resolving a forgotten
 * path looks it up again; once nothing holds its old inode, it gets a new number.
 *
 * <p>Thread-safe; lookups and forgets of the filesystem run outside the table's lock.
 */
final class PathInodes {
  /** Far more paths than a kernel keeps cached for a while; a few tens of MiB at most. */
  static final int DEFAULT_CAPACITY = 100_000;

  private final ReadOnlyFileSystem fs;
  private final int capacity;

  /** Told each inode whose last reference this table gave back. */
  private final LongConsumer forgotten;

  /** In access order: the first entry is the least recently resolved. */
  private final LinkedHashMap<String, Long> byPath = new LinkedHashMap<>(64, 0.75f, true);

  private final Map<Long, Integer> openHandles = new HashMap<>();

  /** References of evicted paths whose inode had open handles: forgotten at the last release. */
  private final Map<Long, Integer> owedForgets = new HashMap<>();

  PathInodes(ReadOnlyFileSystem fs, int capacity, LongConsumer forgotten) {
    if (capacity < 1) throw new IllegalArgumentException("capacity " + capacity);
    this.fs = fs;
    this.capacity = capacity;
    this.forgotten = forgotten;
  }

  long resolve(String path) throws FsException {
    if (path.equals("/")) return ReadOnlyFileSystem.ROOT_INO;
    synchronized (this) {
      Long known = byPath.get(path);
      if (known != null) return known;
    }
    int slash = path.lastIndexOf('/');
    long parent = resolve(slash == 0 ? "/" : path.substring(0, slash));
    long ino = fs.lookup(parent, path.substring(slash + 1)).ino();
    List<Long> forget = new ArrayList<>();
    long resolved;
    synchronized (this) {
      Long prev = byPath.putIfAbsent(path, ino);
      if (prev != null) {
        forget.add(ino); // lost a race; keep one reference per path
        resolved = prev;
      } else {
        resolved = ino;
        evict(forget);
      }
    }
    for (long f : forget) {
      fs.forget(f, 1);
      if (f != resolved) forgotten.accept(f);
    }
    return resolved;
  }

  private void evict(List<Long> forget) {
    Iterator<Map.Entry<String, Long>> eldest = byPath.entrySet().iterator();
    while (byPath.size() > capacity) {
      long ino = eldest.next().getValue();
      eldest.remove();
      if (openHandles.containsKey(ino)) {
        owedForgets.merge(ino, 1, Integer::sum);
      } else {
        forget.add(ino);
      }
    }
  }

  /** The filesystem no longer knows the inode of {@code path} (ESTALE): nothing to forget. */
  synchronized void drop(String path) {
    byPath.remove(path);
  }

  /** A file or directory handle was opened on {@code ino}. */
  synchronized void opened(long ino) {
    openHandles.merge(ino, 1, Integer::sum);
  }

  /** A handle on {@code ino} was released; the last one pays what eviction owes. */
  void released(long ino) {
    Integer owed;
    synchronized (this) {
      Integer left = openHandles.computeIfPresent(ino, (k, n) -> n > 1 ? n - 1 : null);
      owed = left == null ? owedForgets.remove(ino) : null;
    }
    if (owed != null) {
      fs.forget(ino, owed);
      forgotten.accept(ino);
    }
  }

  synchronized int size() {
    return byPath.size();
  }
}
