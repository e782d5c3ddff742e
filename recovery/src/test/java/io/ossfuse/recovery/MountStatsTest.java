package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ossfuse.cache.CacheStats;
import io.ossfuse.cache.LevelStats;
import io.ossfuse.cache.MediumType;
import io.ossfuse.fs.Errno;
import io.ossfuse.stats.MountMetrics;
import io.ossfuse.stats.SnapshotFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountStatsTest {
  @TempDir Path tmp;

  @Test
  void summarisesTheLiveChildsSnapshotOnly() throws Exception {
    MountMetrics m = new MountMetrics(() -> 1_000L);
    m.fuseOp("lookup", 1, Errno.ENOENT);
    m.fuseOp("read", 1, Errno.EIO);
    m.fuseOp("read", 1, null);
    m.oss("get", 100, false);
    m.oss("head", 0, true);
    m.cache(
        () ->
            new CacheStats(
                List.of(
                    new LevelStats(MediumType.MEM, List.of(tmp), 10, 100, 0.9, 0.7, 1, 3, 0),
                    new LevelStats(MediumType.SSD, List.of(tmp), 20, 1000, 0.9, 0.7, 1, 0, 0)),
                3,
                1,
                0,
                5,
                0,
                0,
                0,
                0,
                0,
                0));
    Path f = tmp.resolve("s.json");
    SnapshotFiles.write(f, m.snapshot());
    long me = ProcessHandle.current().pid();
    MountStats s = MountStats.of(f, me, List.of(), 3_500);
    MountStats.DataPath d = s.dataPath();
    assertEquals(2_500, d.ageMs());
    assertEquals(3, d.fuseOps());
    assertEquals(1, d.fuseErrors(), "ENOENT is an answer, not an error");
    assertEquals(2, d.ossRequests());
    assertEquals(1, d.ossErrors());
    assertEquals(100, d.ossBytes());
    assertEquals(new MountStats.Cache(30, 1100, 3, 1, 0.75, 5), d.cache());
    assertNull(
        MountStats.of(f, me + 1, List.of(), 0).dataPath(),
        "another child's numbers are not this one's");
    assertNull(MountStats.of(f, null, List.of(), 0).dataPath());
  }
}
