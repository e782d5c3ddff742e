package io.ossfuse.fuse.jnr;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FileType;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.OpenFile;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fs.StatFs;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.struct.FuseFileInfo;

class PathInodesTest {
  /** Numbers each path once and counts the lookup references the caller holds. */
  static final class CountingFs implements ReadOnlyFileSystem {
    final Map<String, Long> inoByPath = new HashMap<>();
    final Map<Long, String> pathByIno = new HashMap<>(Map.of(ROOT_INO, ""));
    final Map<Long, Long> refs = new HashMap<>();
    final List<Long> forgotten = new ArrayList<>();
    final List<Long> released = new ArrayList<>();
    int lookups;

    @Override
    public synchronized FileAttr lookup(long parent, String name) {
      lookups++;
      String path = pathByIno.get(parent) + "/" + name;
      long ino = inoByPath.computeIfAbsent(path, p -> inoByPath.size() + 2L);
      pathByIno.put(ino, path);
      refs.merge(ino, 1L, Long::sum);
      return attr(ino);
    }

    @Override
    public synchronized void forget(long ino, long nlookup) {
      forgotten.add(ino);
      long left = refs.merge(ino, -nlookup, Long::sum);
      assertTrue(left >= 0, "forgot more than looked up: " + pathByIno.get(ino));
      if (left == 0) refs.remove(ino);
    }

    synchronized long held() {
      return refs.values().stream().mapToLong(Long::longValue).sum();
    }

    private static FileAttr attr(long ino) {
      return new FileAttr(ino, FileType.REGULAR, 0, 0444, 1, 0, 0, Instant.EPOCH);
    }

    @Override
    public FileAttr getattr(long ino) {
      return attr(ino);
    }

    @Override
    public long opendir(long ino) {
      return 1;
    }

    @Override
    public void readdir(long ino, long fh, long offset, DirFiller filler) {}

    @Override
    public void releasedir(long ino, long fh) {}

    @Override
    public OpenFile open(long ino, int flags) {
      return new OpenFile(100 + ino, OpenFile.PageCache.KEEP, attr(ino));
    }

    @Override
    public synchronized int read(long ino, long fh, long offset, ByteBuffer dst) {
      assertEquals(100 + ino, fh, "read of the inode the handle was opened on");
      assertTrue(refs.containsKey(ino), "read of a forgotten inode");
      return 0;
    }

    @Override
    public synchronized void release(long ino, long fh) {
      assertEquals(100 + ino, fh, "release of the inode the handle was opened on");
      released.add(ino);
    }

    @Override
    public StatFs statfs() {
      return new StatFs(4096, 0, 0, 0, 0, 255);
    }

    @Override
    public byte[] getxattr(long ino, String name) {
      return new byte[0];
    }

    @Override
    public List<String> listxattr(long ino) {
      return List.of();
    }

    @Override
    public Duration attrTimeout() {
      return Duration.ofSeconds(1);
    }

    @Override
    public Duration entryTimeout() {
      return Duration.ofSeconds(1);
    }
  }

  final CountingFs fs = new CountingFs();
  final List<Long> told = new ArrayList<>();

  @Test
  void theLeastRecentlyResolvedPathIsForgottenPastTheBound() throws FsException {
    PathInodes t = new PathInodes(fs, 3, told::add);
    long a = t.resolve("/a");
    long b = t.resolve("/b");
    t.resolve("/c");
    assertEquals(a, t.resolve("/a"), "known: no lookup");
    assertEquals(3, fs.lookups);
    t.resolve("/d");
    assertEquals(List.of(b), fs.forgotten, "/b was the least recently resolved");
    assertEquals(List.of(b), told);
    assertEquals(3, t.size());
    assertEquals(3, fs.held(), "one reference per path held");
    t.resolve("/b");
    assertEquals(5, fs.lookups, "a forgotten path is looked up again");
  }

  @Test
  void anOpenInodeIsForgottenAtItsLastRelease() throws FsException {
    PathInodes t = new PathInodes(fs, 1, told::add);
    long a = t.resolve("/a");
    t.opened(a);
    t.opened(a);
    t.resolve("/b");
    assertEquals(List.of(), fs.forgotten, "/a has open handles");
    t.released(a);
    assertEquals(List.of(), fs.forgotten, "one handle is still open");
    t.released(a);
    assertEquals(List.of(a), fs.forgotten, "the reference eviction owed");
    assertEquals(List.of(a), told);
    assertEquals(1, fs.held(), "/b's");
  }

  @Test
  void theAdapterReadsAndReleasesAnOpenFileWhosePathWasForgotten() {
    JnrAdapter adapter = new JnrAdapter(fs, 1);
    FuseFileInfo fi = FuseFileInfo.of(Memory.allocateDirect(Runtime.getSystemRuntime(), 64));
    assertEquals(0, adapter.open("/a", fi));
    long a = fs.inoByPath.get("/a");
    assertEquals(0, adapter.access("/b", 0), "evicts /a, which stays referenced while open");
    int lookups = fs.lookups;
    Pointer buf = Memory.allocateDirect(Runtime.getSystemRuntime(), 4096);
    assertEquals(0, adapter.read("/a", buf, 4096, 0, fi));
    assertEquals(lookups, fs.lookups, "the handle knows its inode: no lookup");
    assertEquals(0, adapter.release("/a", fi));
    assertEquals(List.of(a), fs.released);
    assertEquals(List.of(a), fs.forgotten, "the reference eviction owed, paid at release");
    assertEquals(1, fs.held(), "/b's");
  }

  @Test
  void theAdapterHoldsABoundedNumberOfReferences() {
    JnrAdapter adapter = new JnrAdapter(fs, 10);
    for (int i = 0; i < 1000; i++) {
      assertEquals(0, adapter.access("/dir" + i % 7 + "/f" + i, 0));
    }
    assertEquals(10, fs.held(), "without a bound every path keeps its lookup reference");
  }
}
