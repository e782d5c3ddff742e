package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ossfuse.mount.MountOptions;
import org.junit.jupiter.api.Test;

/**
 * {@code -o prefetch_small_files=N}: parsed, kept in the options' JSON (the daemon's state),
 * default off.
 */
class PrefetchSmallFilesOptionTest {
  @Test
  void offByDefaultAndKeptInTheStateFileWhenSet() {
    MountOptions plain =
        PassthroughOptionTest.parse("oss://bkt", "/m", "--endpoint", "http://127.0.0.1:1");
    assertEquals(0, plain.fsOptions().prefetchSmallFiles());
    assertFalse(plain.toJson().contains("prefetchSmallFiles"), "absent from the JSON unless set");
    MountOptions on =
        PassthroughOptionTest.parse(
            "oss://bkt",
            "/m",
            "--endpoint",
            "http://127.0.0.1:1",
            "-o",
            "uid=1,prefetch_small_files=500");
    assertEquals(500, on.fsOptions().prefetchSmallFiles());
    assertEquals(500, MountOptions.fromJson(on.toJson()).fsOptions().prefetchSmallFiles());
  }

  @Test
  void aWrongValueIsOneLine() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PassthroughOptionTest.parse(
                    "oss://bkt",
                    "/m",
                    "--endpoint",
                    "http://127.0.0.1:1",
                    "-o",
                    "prefetch_small_files=lots"));
    assertEquals("-o prefetch_small_files needs a decimal number, got 'lots'", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PassthroughOptionTest.parse(
                    "oss://bkt",
                    "/m",
                    "--endpoint",
                    "http://127.0.0.1:1",
                    "-o",
                    "prefetch_small_files=-1"));
    assertEquals("prefetch_small_files must be 0..100000 files, got -1", e.getMessage());
  }
}
