package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A standby's inode table read ahead while the active child appends to it, then taken over. */
class InodePreloadTest {
  @TempDir Path dir;

  /** The takeover must see exactly what a full read of the log sees. */
  private static void assertSameAsAFullRead(Path dir, InodeTable taken, Map<String, Long> seen)
      throws Exception {
    for (var e : seen.entrySet()) {
      assertEquals(e.getKey(), taken.path(e.getValue()).orElseThrow(), "number of " + e.getKey());
    }
    long next = taken.lookup("after-takeover");
    assertTrue(seen.values().stream().allMatch(v -> v < next), "numbers are never reused");
  }

  @Test
  void whatThePredecessorAppendedAfterTheReadAheadIsTakenOver() throws Exception {
    Map<String, Long> seen = new HashMap<>();
    InodeTable active = InodeTable.persistent(dir, 0);
    InodePreload ahead;
    long gone;
    try {
      for (int i = 0; i < 100; i++) seen.put("a/" + i, active.lookup("a/" + i));
      ahead = InodePreload.of(dir);
      for (int i = 0; i < 10; i++) seen.put("b/" + i, active.lookup("b/" + i));
      assertEquals(10, ahead.refresh(), "only the appended records are read");
      gone = active.lookup("gone");
      active.forget(gone, 1); // after the last refresh, before the death
      seen.put("c", active.lookup("c"));
    } finally {
      active.close(); // the predecessor died
    }
    CompletableFuture<String> stillLocked = new CompletableFuture<>();
    try (InodeTable t = InodeTable.takenOver(dir, 60_000, stillLocked::complete, ahead)) {
      assertSameAsAFullRead(dir, t, seen);
      assertTrue(t.path(gone).isEmpty(), "a delete record appended last is applied");
    }
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      assertEquals("after-takeover", t.path(t.find("after-takeover").orElseThrow()).orElseThrow());
      assertSameAsAFullRead(dir, t, seen);
    }
    assertFalse(stillLocked.isDone());
  }

  @Test
  void aCompactionSinceTheReadAheadMeansReadingTheNewLogFromTheStart() throws Exception {
    Map<String, Long> seen = new HashMap<>();
    InodePreload ahead;
    try (InodeTable active = InodeTable.persistent(dir, 0)) {
      seen.put("keep", active.lookup("keep"));
      ahead = InodePreload.of(dir);
      for (int i = 0; i < 30_000; i++) active.forget(active.lookup("tmp" + i), 1);
      seen.put("late", active.lookup("late"));
    }
    try (InodeTable t = InodeTable.takenOver(dir, 60_000, m -> fail(m), ahead)) {
      assertSameAsAFullRead(dir, t, seen);
      assertTrue(t.size() < 10, "the compacted log has the live entries only: " + t.size());
    }
  }

  @Test
  void aTornTailLeftByTheDeathIsCutOffAndItsNumberHandedOutAgain() throws Exception {
    Map<String, Long> seen = new HashMap<>();
    InodePreload ahead;
    long torn;
    try (InodeTable active = InodeTable.persistent(dir, 0)) {
      seen.put("a", active.lookup("a"));
      ahead = InodePreload.of(dir);
      torn = active.lookup("torn");
    }
    Path log = dir.resolve(InodeTable.LOG_FILE);
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(log) - 3); // SIGKILL in the middle of writing "torn"
    }
    assertEquals(0, ahead.refresh(), "an incomplete record is not applied");
    try (InodeTable t = InodeTable.takenOver(dir, 60_000, m -> fail(m), ahead)) {
      assertEquals("a", t.path(seen.get("a")).orElseThrow());
      assertTrue(t.path(torn).isEmpty());
      assertEquals(torn, t.lookup("next"), "the torn record's number was never handed out");
    }
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      assertEquals("next", t.path(torn).orElseThrow(), "appends after the cut are read back");
    }
  }

  @Test
  void withoutALogYetTheTakeoverStartsOne() throws Exception {
    InodePreload ahead = InodePreload.of(dir);
    try (InodeTable t = InodeTable.takenOver(dir, 60_000, m -> fail(m), ahead)) {
      assertEquals(2, t.lookup("first"));
    }
    try (InodeTable t = InodeTable.persistent(dir, 0)) {
      assertEquals("first", t.path(2).orElseThrow());
    }
  }

  @Test
  void aLogThatIsNoInodeTableIsLeftToTheTakeoverToRefuse() throws Exception {
    Files.write(dir.resolve(InodeTable.LOG_FILE), "not an inode table".getBytes());
    InodePreload ahead = InodePreload.of(dir);
    assertThrows(
        java.io.IOException.class, () -> InodeTable.takenOver(dir, 60_000, m -> fail(m), ahead));
  }
}
