package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.ObjectFileSystem;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.store.MemoryObjectStore;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The test-only crash trigger is off unless its variable is set (its halt is proven by
 * PoisonRequestDaemonTest).
 */
class CrashOnReadForTestsTest {
  private final ReadOnlyFileSystem fs =
      ObjectFileSystem.builder(
              new MemoryObjectStore("b").put("ok.txt", "fine\n").put("poison.bin", "x"))
          .build();

  @Test
  void offUnlessExplicitlySet() {
    assertSame(fs, CrashOnReadForTests.wrapIfAsked(fs, Map.of()));
    assertSame(fs, CrashOnReadForTests.wrapIfAsked(fs, Map.of(CrashOnReadForTests.ENV, " ")));
    assertSame(fs, CrashOnReadForTests.wrapIfAsked(fs, Map.of("OSSFUSE_TEST_CRASH", "poison.bin")));
  }

  @Test
  void whenSetOtherFilesReadAsUsual() throws Exception {
    ReadOnlyFileSystem w =
        CrashOnReadForTests.wrapIfAsked(fs, Map.of(CrashOnReadForTests.ENV, "poison.bin"));
    assertNotSame(fs, w);
    FileAttr a = w.lookup(ReadOnlyFileSystem.ROOT_INO, "ok.txt");
    long fh = w.open(a.ino(), 0).fh();
    ByteBuffer b = ByteBuffer.allocate(64);
    assertEquals(5, w.read(a.ino(), fh, 0, b));
    w.release(a.ino(), fh);
  }
}
