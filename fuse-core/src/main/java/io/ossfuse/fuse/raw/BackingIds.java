package io.ossfuse.fuse.raw;

import io.ossfuse.fuse.dev.LibC;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Registers backing files with the kernel connection (FUSE_DEV_IOC_BACKING_OPEN/CLOSE). The ids
 * live in the connection, not in this process: a successor child serving the same connection can
 * release ids its predecessor registered. Unit tests use a fake.
 */
interface BackingIds {
  /** Registers {@code file}; returns its backing id (> 0). */
  int open(Path file) throws IOException;

  /** Releases {@code id}; returns 0 or the errno (ENOENT: not registered). */
  int close(int id);

  /** The ioctls on a /dev/fuse fd of the connection. */
  static BackingIds kernel(int fuseFd) {
    return new BackingIds() {
      @Override
      public int open(Path file) throws IOException {
        LibC c = LibC.get();
        int fd = c.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
          throw new IOException(
              "cannot open backing file " + file + ": " + LibC.describe(LibC.errno()));
        }
        try {
          // struct fuse_backing_map {int32 fd; uint32 flags; uint64 padding}
          int id = c.ioctl(fuseFd, LibC.FUSE_DEV_IOC_BACKING_OPEN, new int[] {fd, 0, 0, 0});
          if (id <= 0) {
            throw new IOException(
                "FUSE_DEV_IOC_BACKING_OPEN of " + file + " failed: " + LibC.describe(LibC.errno()));
          }
          return id; // the kernel holds the file now: our fd may go
        } finally {
          c.close(fd);
        }
      }

      @Override
      public int close(int id) {
        int r = LibC.get().ioctl(fuseFd, LibC.FUSE_DEV_IOC_BACKING_CLOSE, new int[] {id});
        return r == 0 ? 0 : LibC.errno();
      }
    };
  }
}
