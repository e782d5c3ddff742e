package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChildLogTest {
  @TempDir Path dir;

  @Test
  void smallLogIsLeftAlone() throws Exception {
    Path log = dir.resolve("m.log");
    Files.writeString(log, "x".repeat(100));
    assertFalse(ChildLog.rotateIfLarger(log, 100, 3));
    assertEquals(100, Files.size(log));
    assertFalse(Files.exists(ChildLog.numbered(log, 1)));
  }

  @Test
  void missingLogIsNotAnError() {
    assertFalse(ChildLog.rotateIfLarger(dir.resolve("none.log"), 1, 3));
  }

  @Test
  void aWriterThatKeepsTheFileOpenCarriesOnAtTheStartAfterRotation() throws Exception {
    Path log = dir.resolve("m.log");
    // as the child's stdout: opened once in append mode, never reopened
    try (FileOutputStream child = new FileOutputStream(log.toFile(), true)) {
      child.write("first generation\n".getBytes(StandardCharsets.UTF_8));
      assertTrue(ChildLog.rotateIfLarger(log, 5, 3));
      child.write("after\n".getBytes(StandardCharsets.UTF_8));
    }
    assertEquals("first generation\n", Files.readString(ChildLog.numbered(log, 1)));
    assertEquals("after\n", Files.readString(log), "no hole of zeros before the new lines");
  }

  @Test
  void keepsOnlyTheNewestCopies() throws Exception {
    Path log = dir.resolve("m.log");
    for (int gen = 1; gen <= 5; gen++) {
      Files.writeString(log, "generation " + gen + "\n");
      assertTrue(ChildLog.rotateIfLarger(log, 1, 3));
    }
    assertEquals("generation 5\n", Files.readString(ChildLog.numbered(log, 1)));
    assertEquals("generation 4\n", Files.readString(ChildLog.numbered(log, 2)));
    assertEquals("generation 3\n", Files.readString(ChildLog.numbered(log, 3)));
    assertFalse(Files.exists(ChildLog.numbered(log, 4)));
  }
}
