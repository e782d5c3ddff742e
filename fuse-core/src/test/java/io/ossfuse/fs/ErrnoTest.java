package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class ErrnoTest {
  /** include/uapi/asm-generic/errno-base.h and errno.h, as typed from the kernel headers. */
  private static final Map<String, Integer> LINUX =
      Map.ofEntries(
          Map.entry("EPERM", 1),
          Map.entry("ENOENT", 2),
          Map.entry("EINTR", 4),
          Map.entry("EIO", 5),
          Map.entry("ENXIO", 6),
          Map.entry("EBADF", 9),
          Map.entry("EAGAIN", 11),
          Map.entry("EACCES", 13),
          Map.entry("EBUSY", 16),
          Map.entry("ENODEV", 19),
          Map.entry("ENOTDIR", 20),
          Map.entry("EISDIR", 21),
          Map.entry("EINVAL", 22),
          Map.entry("EFBIG", 27),
          Map.entry("ENOSPC", 28),
          Map.entry("EROFS", 30),
          Map.entry("ERANGE", 34),
          Map.entry("ENAMETOOLONG", 36),
          Map.entry("ENOSYS", 38),
          Map.entry("ENOTEMPTY", 39),
          Map.entry("ENODATA", 61),
          Map.entry("EOPNOTSUPP", 95),
          Map.entry("ECONNABORTED", 103),
          Map.entry("ETIMEDOUT", 110),
          Map.entry("ESTALE", 116));

  @Test
  void theTableHoldsTheLinuxNumbers() {
    Map<String, Integer> table = new TreeMap<>();
    for (Errno e : Errno.values()) table.put(e.name(), e.code);
    assertEquals(new TreeMap<>(LINUX), table);
  }

  @Test
  void numbersMapBackToNames() {
    for (Errno e : Errno.values()) {
      assertSame(e, Errno.of(e.code));
      assertTrue(e.is(e.code));
      assertEquals(-e.code, e.negative());
      assertEquals(e.name(), Errno.nameOf(e.code));
    }
    assertEquals(
        Errno.values().length,
        Arrays.stream(Errno.values()).mapToInt(e -> e.code).distinct().count());
    assertNull(Errno.of(0));
    assertNull(Errno.of(-2), "a negative reply value is not an errno");
    assertNull(Errno.of(3));
    assertNull(Errno.of(4096));
    assertEquals("errno 3", Errno.nameOf(3));
    assertFalse(Errno.ENOENT.is(-2));
  }
}
