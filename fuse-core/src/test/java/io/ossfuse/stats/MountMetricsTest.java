package io.ossfuse.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.cache.CacheStats;
import io.ossfuse.cache.LevelStats;
import io.ossfuse.cache.MediumType;
import io.ossfuse.fs.Errno;
import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.ObjectFileSystem;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.store.MemoryObjectStore;
import io.ossfuse.store.ObjectStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountMetricsTest {
  @TempDir Path tmp;

  @Test
  void bucketsAreUpperBoundsInclusiveAndOverflowGoesToInf() {
    assertEquals(0, MountMetrics.bucket(0));
    assertEquals(0, MountMetrics.bucket(100_000)); // exactly 100 µs
    assertEquals(1, MountMetrics.bucket(100_001));
    assertEquals(MountMetrics.LATENCY_BUCKETS_SECONDS.length, MountMetrics.bucket(11_000_000_000L));
  }

  @Test
  void countsOpsErrorsLatencyAndOss() {
    AtomicLong now = new AtomicLong(1_000);
    MountMetrics m = new MountMetrics(now::get);
    m.fuseOp("read", 2_000_000, null); // 2 ms -> bucket <= 2.5 ms
    m.fuseOp("read", 50_000, null);
    m.fuseOp("lookup", 10_000, Errno.ENOENT);
    m.oss("get", 4096, false);
    m.oss("get", 0, true);
    now.set(5_000);
    StatsSnapshot s = m.snapshot();
    assertEquals(1_000, s.startedAtMillis());
    assertEquals(5_000, s.takenAtMillis());
    StatsSnapshot.OpStats read = s.fuse().get("read");
    assertEquals(2, read.count());
    assertEquals(0.00205, read.sumSeconds(), 1e-9);
    assertEquals(1L, read.buckets().get(0));
    assertEquals(1L, read.buckets().get(4));
    assertEquals(MountMetrics.LATENCY_BUCKETS_SECONDS.length + 1, read.buckets().size());
    assertEquals(0, read.errorCount());
    assertEquals(1L, s.fuse().get("lookup").errors().get("ENOENT"));
    assertEquals(new StatsSnapshot.OssStats(2, 1, 4096), s.oss().get("get"));
    assertEquals(null, s.cache());
  }

  @Test
  void meteredFileSystemAndStoreCountRealCalls() throws Exception {
    MountMetrics m = new MountMetrics(System::currentTimeMillis);
    ObjectStore store =
        new MeteredObjectStore(new MemoryObjectStore("b").put("d/a.txt", "hello"), m);
    try (ObjectFileSystem ofs = ObjectFileSystem.builder(store).build()) {
      ReadOnlyFileSystem fs = new MeteredFileSystem(ofs, m);
      FileAttr d = fs.lookup(ReadOnlyFileSystem.ROOT_INO, "d");
      FileAttr a = fs.lookup(d.ino(), "a.txt");
      FsException e = assertThrows(FsException.class, () -> fs.lookup(d.ino(), "nope"));
      assertEquals(Errno.ENOENT, e.errno());
      long fh = fs.open(a.ino(), 0).fh();
      ByteBuffer buf = ByteBuffer.allocate(16);
      assertEquals(5, fs.read(a.ino(), fh, 0, buf));
      fs.release(a.ino(), fh);
    }
    StatsSnapshot s = m.snapshot();
    assertEquals(3, s.fuse().get("lookup").count());
    assertEquals(1L, s.fuse().get("lookup").errors().get("ENOENT"));
    assertEquals(1, s.fuse().get("read").count());
    assertEquals(5, s.fuse().get("read").bytes(), "bytes read, beside the bytes fetched below");
    assertEquals(1, s.fuse().get("release").count());
    StatsSnapshot.OssStats get = s.oss().get("get");
    assertNotNull(get, "a read reached the store: " + s.oss());
    assertEquals(5, get.bytes());
    assertEquals(0, get.errors());
    assertTrue(
        s.oss().get("list").requests()
                + s.oss().getOrDefault("head", new StatsSnapshot.OssStats(0, 0, 0)).requests()
            > 0);
  }

  @Test
  void snapshotFileRoundTripsWithCacheStats() throws Exception {
    MountMetrics m = new MountMetrics(System::currentTimeMillis);
    m.fuseOp("getattr", 1_000, null);
    CacheStats cs =
        new CacheStats(
            List.of(new LevelStats(MediumType.MEM, List.of(tmp), 100, 1000, 0.95, 0.7, 1, 5, 2)),
            5,
            3,
            1,
            2,
            1,
            0,
            300,
            0,
            0,
            0);
    m.cache(() -> cs);
    Path f = tmp.resolve("run/m.stats.json");
    SnapshotFiles.write(f, m.snapshot());
    StatsSnapshot back = SnapshotFiles.read(f).orElseThrow();
    assertEquals(cs, back.cache());
    assertEquals(1, back.fuse().get("getattr").count());
    m.fuseOp("read", 1_000, null);
    m.fuseBytes("read", 4096);
    SnapshotFiles.write(f, m.snapshot());
    assertEquals(4096, SnapshotFiles.read(f).orElseThrow().fuse().get("read").bytes());
    assertEquals(ProcessHandle.current().pid(), back.pid());
    assertEquals(1, Files.list(f.getParent()).count(), "no temp file left");
    Files.writeString(f, "{not json");
    assertTrue(SnapshotFiles.read(f).isEmpty());
    assertTrue(SnapshotFiles.read(tmp.resolve("missing")).isEmpty());
  }

  @Test
  void writerWritesPeriodicallyAndRemovesOnClose() throws Exception {
    MountMetrics m = new MountMetrics(System::currentTimeMillis);
    Path f = tmp.resolve("w.stats.json");
    SnapshotWriter w = new SnapshotWriter(m, f, java.time.Duration.ofMillis(50));
    try {
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (!Files.exists(f) && System.nanoTime() < deadline) Thread.sleep(10);
      assertTrue(Files.exists(f));
      m.fuseOp("statfs", 1, null);
      deadline = System.nanoTime() + 5_000_000_000L;
      while (System.nanoTime() < deadline
          && !SnapshotFiles.read(f).map(s -> s.fuse().containsKey("statfs")).orElse(false)) {
        Thread.sleep(10);
      }
      assertEquals(1, SnapshotFiles.read(f).orElseThrow().fuse().get("statfs").count());
    } finally {
      w.close();
    }
    assertTrue(Files.notExists(f));
  }
}
