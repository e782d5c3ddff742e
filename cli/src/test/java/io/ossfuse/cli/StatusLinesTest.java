package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.recovery.MountStats;
import io.ossfuse.recovery.RecoveryHistory;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusLinesTest {
  @Test
  void dataPathAndRecoveriesAtAGlance() {
    MountStats s =
        new MountStats(
            new MountStats.DataPath(
                500,
                1200,
                2,
                40,
                1,
                3L << 20,
                new MountStats.Cache(512L << 20, 2L << 30, 90, 10, 0.9, 4)),
            List.of(
                new RecoveryHistory.Event(0, "child 7: SIGKILL", 412),
                new RecoveryHistory.Event(0, "b", 1),
                new RecoveryHistory.Event(0, "c", 2),
                new RecoveryHistory.Event(0, "d", 3)));
    String[] lines = StatusLines.of(s).split("\n");
    assertEquals(2, lines.length);
    assertEquals(
        "    cache 512 MiB of 2.0 GiB (25%), hit ratio 90.0% (90 hits, 10 misses, 4 evictions); "
            + "fuse 1200 ops, 2 errors; oss 40 requests, 1 errors, 3.0 MiB",
        lines[0]);
    assertTrue(lines[1].startsWith("    recoveries: "), lines[1]);
    assertTrue(
        lines[1].contains(" 412ms (child 7: SIGKILL); ") && lines[1].endsWith("; 1 earlier"),
        lines[1]);
  }

  @Test
  void theDefaultCacheShowsItsCountersWithoutLevels() {
    MountStats s =
        new MountStats(
            new MountStats.DataPath(0, 0, 0, 0, 0, 0, new MountStats.Cache(0, 0, 3, 1, 0.75, 2)),
            List.of());
    assertEquals(
        "    cache: default in-memory, hit ratio 75.0% (3 hits, 1 misses, 2 evictions); "
            + "fuse 0 ops, 0 errors; oss 0 requests, 0 errors, 0 B\n",
        StatusLines.of(s));
  }

  @Test
  void nothingToShowIsNoLine() {
    assertEquals("", StatusLines.of(null));
    assertEquals("", StatusLines.of(new MountStats(null, List.of())));
    assertEquals(
        "    cache: default in-memory (no counters); fuse 0 ops, 0 errors; oss 0 requests, 0 errors, 0 B\n",
        StatusLines.of(new MountStats(new MountStats.DataPath(0, 0, 0, 0, 0, 0, null), null)));
  }
}
