package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metadata a child learnt, journaled, read ahead by its standby and taken over. */
class MetaPreloadTest {
  @TempDir Path dir;

  private static final Node FILE =
      Node.file("p/a b.txt", 42, "\"etag-1\"", Instant.ofEpochMilli(7));
  private static final Node DIR = Node.dir("p/d/", Instant.ofEpochMilli(9));

  /** Waits until the journal's writer has written {@code n} records (it writes every 20 ms). */
  private static void awaitRecords(Path dir, int n) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      Path f = dir.resolve(MetaJournal.FILE);
      if (Files.exists(f) && Files.readAllLines(f).size() >= n) return;
      assertTrue(System.nanoTime() < deadline, "journal never written");
      Thread.onSpinWait();
    }
  }

  @Test
  void whatTheActiveChildLearntIsTakenOverWithItsOwnExpiry() throws Exception {
    MetaPreload ahead;
    try (MetaJournal j = MetaJournal.open(dir)) {
      MetaCache active =
          new MetaCache(Duration.ofSeconds(30), Duration.ofSeconds(5), System::nanoTime, 1000, j);
      active.put("a b.txt", Optional.of(FILE));
      ahead = MetaPreload.of(dir);
      active.put("d", Optional.of(DIR));
      active.put("missing", Optional.empty());
      active.put("changed", Optional.of(FILE));
      active.invalidate("changed");
      awaitRecords(dir, 5);
    }
    assertTrue(ahead.refresh() >= 4, "only the appended records are read");
    ahead.finish();
    try (MetaJournal next = MetaJournal.open(dir, ahead)) {
      MetaCache taken =
          new MetaCache(
              Duration.ofSeconds(30), Duration.ofSeconds(5), System::nanoTime, 1000, next);
      assertEquals(3, ahead.current().size());
      taken.seed(ahead.current());
      assertEquals(Optional.of(FILE), taken.get("a b.txt"));
      assertEquals(Optional.of(DIR), taken.get("d"));
      assertEquals(Optional.empty(), taken.get("missing"), "known absent");
      assertNull(taken.get("changed"), "an invalidated path is asked again");
      awaitRecords(dir, 3);
    }
    MetaPreload again = MetaPreload.of(dir);
    again.finish();
    assertEquals(
        3, again.current().size(), "the successor journals what it took over, used or not");
  }

  @Test
  void anEntryPastItsExpiryIsNotTakenOver() {
    MetaCache taken =
        new MetaCache(Duration.ofSeconds(30), Duration.ofSeconds(5), System::nanoTime, 1000);
    long now = System.currentTimeMillis();
    taken.seed(
        new java.util.concurrent.ConcurrentHashMap<>(
            Map.of(
                "old", new MetaPreload.Seed(Optional.of(FILE), now - 1),
                "fresh", new MetaPreload.Seed(Optional.of(FILE), now + 60_000))));
    assertNull(taken.get("old"));
    assertEquals(Optional.of(FILE), taken.get("fresh"));
  }

  @Test
  void aTornLastLineIsReadOnceItIsComplete() throws Exception {
    Path f = dir.resolve(MetaJournal.FILE);
    Files.writeString(f, "N " + (System.currentTimeMillis() + 60_000) + " x\nN 99");
    MetaPreload ahead = MetaPreload.of(dir);
    assertEquals(1, ahead.current().size());
    Files.writeString(f, "9 y\n", java.nio.file.StandardOpenOption.APPEND);
    assertEquals(1, ahead.refresh());
    assertEquals(2, ahead.current().size());
  }
}
