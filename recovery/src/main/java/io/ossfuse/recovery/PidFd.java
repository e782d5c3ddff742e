package io.ossfuse.recovery;

import io.ossfuse.fs.Errno;
import java.io.IOException;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;

/**
 * Copies an open fd out of another process ({@code pidfd_open} + {@code pidfd_getfd}, Linux 5.6+,
 * needs ptrace rights: root). A restarted daemon uses it to take the {@code /dev/fuse} fd back from
 * a child it adopted, so the connection again outlives that child.
 */
final class PidFd {
  /** Syscall numbers shared by every architecture since the 5.x unification. */
  private static final long SYS_PIDFD_OPEN = 434;

  private static final long SYS_PIDFD_GETFD = 438;

  public interface C {
    long syscall(long number, long a, long b, long c);

    int close(int fd);

    /**
     * {@code fds}: struct pollfd as int pairs, {fd, events | revents << 16} (little-endian shorts).
     */
    int poll(int[] fds, long nfds, int timeoutMs);
  }

  private static volatile C c;

  private PidFd() {}

  static C c() {
    if (c == null) {
      c =
          LibraryLoader.create(C.class)
              .load(Platform.getNativePlatform().getStandardCLibraryName());
    }
    return c;
  }

  /** Returns a new fd in this process (close-on-exec) that refers to {@code pid}'s {@code fd}. */
  static int take(long pid, int fd) throws IOException {
    C lib = c();
    int pidfd = (int) lib.syscall(SYS_PIDFD_OPEN, pid, 0, 0);
    if (pidfd < 0)
      throw new IOException("pidfd_open(" + pid + ") failed: " + Errno.nameOf(errno()));
    try {
      int copy = (int) lib.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0);
      if (copy < 0)
        throw new IOException(
            "pidfd_getfd(" + pid + ", " + fd + ") failed: " + Errno.nameOf(errno()));
      return copy;
    } finally {
      lib.close(pidfd);
    }
  }

  static void close(int fd) {
    c().close(fd);
  }

  static int errno() {
    return jnr.ffi.Runtime.getSystemRuntime().getLastError();
  }
}
