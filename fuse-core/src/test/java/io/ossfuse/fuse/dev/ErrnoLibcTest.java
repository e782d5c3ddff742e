package io.ossfuse.fuse.dev;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.fs.Errno;
import org.junit.jupiter.api.Test;

/** The errno table against this machine's libc: the numbers the code compares libc results with. */
class ErrnoLibcTest {
  @Test
  void libcFailsWithTheNumbersOfTheTable() {
    LibC c = LibC.get();
    assertEquals(-1, c.open("/nonexistent-" + System.nanoTime(), LibC.O_RDONLY));
    assertEquals(Errno.ENOENT, Errno.of(LibC.errno()));
    assertEquals(-1, c.close(-1));
    assertEquals(Errno.EBADF, Errno.of(LibC.errno()));
    assertEquals("No such file or directory (ENOENT)", LibC.describe(Errno.ENOENT.code));
    assertEquals("Stale file handle", c.strerror(Errno.ESTALE.code));
    assertEquals("Software caused connection abort", c.strerror(Errno.ECONNABORTED.code));
    assertEquals("No such device", c.strerror(Errno.ENODEV.code));
  }
}
