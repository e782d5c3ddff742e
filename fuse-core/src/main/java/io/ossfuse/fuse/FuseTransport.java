package io.ossfuse.fuse;

import io.ossfuse.fs.ReadOnlyFileSystem;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Serves a {@link ReadOnlyFileSystem} to the kernel at a mount point. Transports translate and
 * delegate; they hold no filesystem logic. One transport instance serves one mount.
 *
 * <p>Lifecycle: {@link #mount} returns only after a positive check that the kernel shows a FUSE
 * mount at the mount point and that it answers a {@code stat}; {@link #unmount} returns once the
 * mount is gone from {@code /proc/self/mountinfo}.
 */
public interface FuseTransport extends AutoCloseable {

  /** Short name for logs and options ("jnr", "raw"). */
  String name();

  /**
   * Mounts {@code fs} at {@code mountpoint} and waits until the mount answers.
   *
   * @throws IOException with a one-line message when the mount did not come up (nothing is left
   *     mounted)
   */
  void mount(Path mountpoint, ReadOnlyFileSystem fs, FuseMountConfig config) throws IOException;

  /** Unmounts (lazily if busy) and waits until the kernel no longer shows the mount. Idempotent. */
  void unmount() throws IOException;

  /** True while the kernel shows our mount at the mount point. */
  boolean isMounted();

  /**
   * Blocks until the mount is gone (unmounted from outside, or {@link #unmount}), or the timeout
   * passes.
   */
  boolean awaitUnmounted(Duration timeout) throws InterruptedException;

  @Override
  default void close() throws IOException {
    unmount();
  }
}
