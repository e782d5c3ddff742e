package io.ossfuse.fuse.dev;

import io.ossfuse.fs.Errno;
import java.nio.ByteBuffer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc calls the FUSE device code needs, through jnr-ffi. Public only because jnr-ffi must
 * implement it from generated code; not part of the ossfuse API.
 *
 * <p>Direct {@link ByteBuffer}s are passed as their address plus current position: callers keep the
 * position at 0 and pass the length explicitly.
 */
public interface LibC {
  int O_RDWR = 2;
  int O_CLOEXEC = 02000000;
  long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4;
  int MNT_DETACH = 2;

  /** {@code _IOR(229, 0, uint32_t)} from include/uapi/linux/fuse.h. */
  long FUSE_DEV_IOC_CLONE = 0x8004e500L;

  /**
   * {@code _IOW(229, 1, struct fuse_backing_map)}: {int32 fd, uint32 flags, uint64 padding} ->
   * backing id.
   */
  long FUSE_DEV_IOC_BACKING_OPEN = 0x4010e501L;

  /** {@code _IOW(229, 2, uint32_t)}: releases a backing id. */
  long FUSE_DEV_IOC_BACKING_CLOSE = 0x4004e502L;

  int O_RDONLY = 0;

  int O_WRONLY = 1;
  int O_NONBLOCK = 04000;

  int open(String path, int flags);

  int mkfifo(String path, int mode);

  int close(int fd);

  @ssize_t
  long read(int fd, ByteBuffer buf, @size_t long count);

  @ssize_t
  long write(int fd, @In ByteBuffer buf, @size_t long count);

  int mount(String source, String target, String type, long flags, String data);

  int umount2(String target, int flags);

  int dup(int fd);

  int dup2(int oldfd, int newfd);

  int ioctl(int fd, long request, @In int[] arg);

  /** struct pollfd[] as bytes (native order): int fd, short events, short revents. */
  int poll(@In @Out byte[] fds, long nfds, int timeout);

  String strerror(int errnum);

  int geteuid();

  /** The process-wide instance. */
  static LibC get() {
    return Holder.INSTANCE;
  }

  /**
   * errno of the last call made by this thread; {@link Errno} names the ones the code tells apart.
   */
  static int errno() {
    return Runtime.getSystemRuntime().getLastError();
  }

  /** "strerror (ENAME)" for messages ("(errno N)" for a number {@link Errno} does not name). */
  static String describe(int errno) {
    return get().strerror(errno) + " (" + Errno.nameOf(errno) + ")";
  }

  final class Holder {
    static final LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

    private Holder() {}
  }
}
