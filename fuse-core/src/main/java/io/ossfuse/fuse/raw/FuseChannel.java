package io.ossfuse.fuse.raw;

import io.ossfuse.fs.Errno;
import io.ossfuse.fuse.dev.LibC;
import java.nio.ByteBuffer;

/** Reads requests from and writes replies to one /dev/fuse fd. Errors are returned as errno. */
interface FuseChannel {
  /** Reads one whole request into {@code buf} (index 0); returns its length or -errno. */
  long read(ByteBuffer buf, int capacity);

  /** Writes {@code len} bytes from index 0 with one write(2); returns 0 or errno. */
  int write(ByteBuffer buf, int len);

  /**
   * Whether a read that failed with {@code errno} is simply tried again: the request was
   * interrupted before it was read (ENOENT), a signal (EINTR), nothing queued on a non-blocking fd.
   */
  static boolean readAgain(int errno) {
    return Errno.ENOENT.is(errno) || Errno.EINTR.is(errno) || Errno.EAGAIN.is(errno);
  }

  /** Whether {@code errno} of a read or write says the connection is gone: unmounted or aborted. */
  static boolean ended(int errno) {
    return Errno.ENODEV.is(errno) || Errno.ECONNABORTED.is(errno);
  }

  static FuseChannel ofFd(int fd) {
    LibC c = LibC.get();
    return new FuseChannel() {
      @Override
      public long read(ByteBuffer buf, int capacity) {
        buf.clear();
        long n = c.read(fd, buf, capacity);
        return n >= 0 ? n : -LibC.errno();
      }

      @Override
      public int write(ByteBuffer buf, int len) {
        buf.clear();
        long n = c.write(fd, buf, len);
        return n >= 0 ? 0 : LibC.errno();
      }

      @Override
      public String toString() {
        return "fd " + fd;
      }
    };
  }
}
