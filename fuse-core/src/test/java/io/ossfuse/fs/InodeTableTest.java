package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InodeTableTest {
  @TempDir Path dir;

  @Test
  void aNewInstanceOverTheSameStateDirMapsTheSameNumbers() throws IOException {
    Map<String, Long> seen = new HashMap<>();
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      for (String p : new String[] {"a", "a/b", "a/b/c.txt", "späce name %41", "z"})
        seen.put(p, t.lookup(p));
      t.forget(seen.get("z"), 1);
    }
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      for (var e : seen.entrySet()) {
        if (e.getKey().equals("z")) {
          assertTrue(t.path(e.getValue()).isEmpty(), "forgotten");
        } else {
          assertEquals(e.getKey(), t.path(e.getValue()).orElseThrow());
          assertEquals(e.getValue(), t.lookup(e.getKey()));
        }
      }
      long fresh = t.lookup("new");
      assertTrue(seen.values().stream().allMatch(v -> v < fresh), "numbers are never reused");
      assertEquals(-1L, t.lookups(seen.get("a")).orElseThrow(), "count unknown after a restart");
      t.forget(seen.get("a"), 7);
      assertEquals(
          "a",
          t.path(seen.get("a")).orElseThrow(),
          "looked up since the load: a forget cannot drop it");
    }
  }

  /**
   * A takeover from an exiting predecessor loads the table while that one still holds the lock, and
   * takes the lock once it is let go; without a takeover a held lock is refused.
   */
  @Test
  void aTakeoverLoadsAtOnceAndTakesTheLockOnceItIsLetGo() throws Exception {
    InodeTable first = InodeTable.persistent(dir, 0);
    long a = first.lookup("a/b.txt");
    java.util.concurrent.CompletableFuture<String> stillLocked =
        new java.util.concurrent.CompletableFuture<>();
    try (InodeTable next = InodeTable.takenOver(dir, 60_000, stillLocked::complete)) {
      assertEquals(
          "a/b.txt", next.path(a).orElseThrow(), "loaded while the predecessor held the lock");
      first.close();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (true) { // until a third open is refused: the lock is the takeover's
        try {
          InodeTable.persistent(dir, 0).close();
        } catch (IOException lockedByNext) {
          break;
        }
        assertTrue(System.nanoTime() < deadline, "the takeover never took the lock");
        Thread.onSpinWait();
      }
      assertFalse(stillLocked.isDone());
    } finally {
      first.close();
    }
    try (InodeTable held = InodeTable.persistent(dir, 0)) {
      java.util.concurrent.CompletableFuture<String> never =
          new java.util.concurrent.CompletableFuture<>();
      InodeTable.takenOver(dir, 200, never::complete).close();
      java.util.concurrent.CompletableFuture<String> late =
          new java.util.concurrent.CompletableFuture<>();
      try (InodeTable t = InodeTable.takenOver(dir, 200, late::complete)) {
        assertTrue(late.get(30, java.util.concurrent.TimeUnit.SECONDS).contains("still in use"));
      }
    }
  }

  /**
   * After a takeover the counts are unknown. The kernel evicts b's inode (its forget waits in the
   * forget queue), a new lookup of b makes a new inode with the same number, then the old forget is
   * handled: b must stay, or the new inode's next request gets ESTALE.
   */
  @Test
  void aLoadedEntryIsDroppedByItsForgetUnlessLookedUpSinceTheLoad() throws IOException {
    long a;
    long b;
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      a = t.lookup("a");
      b = t.lookup("b");
    }
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      t.forget(a, 3);
      assertTrue(t.path(a).isEmpty(), "the kernel's only inode of a is gone: dropped");
      assertEquals(b, t.lookup("b"));
      t.forget(b, 2);
      assertEquals("b", t.path(b).orElseThrow(), "the new inode of b still needs its number");
    }
  }

  @Test
  void aTornTailIsCutOff() throws IOException {
    long b;
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      t.lookup("a");
      b = t.lookup("b");
    }
    Path log = dir.resolve(InodeTable.LOG_FILE);
    long size = Files.size(log);
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
      ch.truncate(size - 3); // SIGKILL in the middle of writing "b"
    }
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      assertEquals("a", t.path(2).orElseThrow());
      assertTrue(t.path(b).isEmpty());
      long c = t.lookup("c");
      assertEquals(b, c, "the torn record's number was never handed out durably");
    }
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      assertEquals("c", t.path(b).orElseThrow(), "appends after the cut are read back");
    }
  }

  @Test
  void garbageAfterValidRecordsIsIgnored() throws IOException {
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      t.lookup("a");
    }
    Files.write(
        dir.resolve(InodeTable.LOG_FILE),
        new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17},
        StandardOpenOption.APPEND);
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      assertEquals("a", t.path(2).orElseThrow());
      assertEquals(2, t.size());
    }
  }

  @Test
  void compactionBoundsTheLogAndKeepsLiveEntries() throws IOException {
    long keep;
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      keep = t.lookup("keep");
      for (int i = 0; i < 30_000; i++) {
        long ino = t.lookup("tmp" + i);
        t.forget(ino, 1);
      }
      for (int i = 0; i < 5_000; i++) t.assign("listed" + i);
      assertTrue(t.logRecords() < 25_000, "compacted: " + t.logRecords());
    }
    assertTrue(Files.size(dir.resolve(InodeTable.LOG_FILE)) < 1_000_000);
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      assertEquals("keep", t.path(keep).orElseThrow());
      long next = t.lookup("after");
      assertTrue(next > 30_000, "numbers continue after compaction: " + next);
    }
  }

  @Test
  void aSecondOpenerWaitsForTheLockThenFails() throws IOException {
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      IOException e = assertThrows(IOException.class, () -> InodeTable.persistent(dir, 100));
      assertTrue(e.getMessage().contains("in use"), e.getMessage());
    }
  }

  @Test
  void rootIsOneAndNeverForgotten() throws IOException {
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      t.forget(1, 100);
      assertEquals("", t.path(1).orElseThrow());
      assertEquals(1, t.lookup(""));
    }
  }
}
