package io.ossfuse.fuse.dev;

import java.io.IOException;

/**
 * Starts a child process with a /dev/fuse fd as its standard input (fd 0), so the child can serve
 * the connection ({@code RawFuseTransport.serve(0, ...)}).
 *
 * <p>Why stdin: {@link ProcessBuilder} closes every fd above 2 in the child, but with {@link
 * ProcessBuilder.Redirect#INHERIT} it keeps the parent's fd 0. So this swaps the fuse fd into the
 * parent's fd 0 just for the duration of {@link ProcessBuilder#start()} and puts the original fd 0
 * back afterwards — under one process-wide lock, so several mounts can spawn children concurrently.
 * Nothing in the parent must read {@code System.in} (it would briefly see the fuse device). The
 * child must not read or close its stdin except through the transport.
 */
public final class ChildFd {
  private static final Object SPAWN_LOCK = new Object();

  private ChildFd() {}

  /**
   * Starts {@code pb} with {@code fuseFd} as the child's fd 0. Overrides the builder's stdin
   * redirect; stdout/stderr stay as configured on {@code pb}.
   */
  public static Process start(ProcessBuilder pb, int fuseFd) throws IOException {
    LibC c = LibC.get();
    synchronized (SPAWN_LOCK) {
      int saved = c.dup(0);
      if (c.dup2(fuseFd, 0) < 0) {
        int e = LibC.errno();
        if (saved >= 0) {
          c.close(saved);
        }
        throw new IOException("cannot dup2 fuse fd " + fuseFd + " to 0: " + LibC.describe(e));
      }
      try {
        pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
        return pb.start();
      } finally {
        if (saved >= 0) {
          c.dup2(saved, 0);
          c.close(saved);
        } else {
          c.close(0);
        }
      }
    }
  }
}
