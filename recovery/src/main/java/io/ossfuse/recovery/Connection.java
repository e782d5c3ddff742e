package io.ossfuse.recovery;

import java.io.IOException;

/**
 * Who holds a mount's FUSE connection, and so what a child's death costs.
 *
 * <ul>
 *   <li>{@link #selfMounted}: the child mounts itself (bindfs, jnr-fuse). Its death kills the
 *       connection: the dead mount is cleaned, the next child mounts afresh, targets are re-bound.
 *   <li>daemon-held ({@code raw} transport): the daemon opens /dev/fuse, mounts with {@code fd=N}
 *       and hands the fd to each child; a child's death leaves the mount and every bind intact.
 * </ul>
 */
interface Connection {
  /** Makes sure the next child can serve: cleans a dead mount, opens the connection if needed. */
  void prepare() throws IOException;

  /** Starts the child. */
  Process start(ProcessBuilder pb) throws IOException;

  /** After the child was killed: cleans what its death left behind. */
  void afterChildDeath();

  /** Unmounts and releases everything (umount). */
  void close();

  /**
   * Notes how a serving child ended, for its successors' poison-request count (a request is
   * quarantined only after a child ended by itself): {@code onItsOwn} false for a kill from
   * outside.
   */
  default void noteExit(long pid, boolean onItsOwn, String reason) {}

  /**
   * A FIFO for a new pre-started standby child (its environment goes to the child), or empty if
   * this connection cannot hand over to one (only a daemon-held connection can: a self-mounting
   * child needs the mountpoint free).
   */
  default java.util.Optional<io.ossfuse.fuse.dev.Standby> prepareStandby() throws IOException {
    return java.util.Optional.empty();
  }

  /**
   * Wakes {@code standby} after the active child is gone (one still warming up takes over as soon
   * as it is up); false if this connection is not the one it was prepared for any more.
   */
  default boolean activateStandby(io.ossfuse.fuse.dev.Standby standby) throws IOException {
    return false;
  }

  /**
   * No child serves and none will for a while (a long restart backoff): answer requests with EIO
   * meanwhile, so the connection stays and readers neither hang nor see ENOTCONN. Ends at the next
   * {@link #prepare}. False if this connection cannot (self-mounted, or never initialized).
   */
  default boolean answerErrorsWhileDown() {
    return false;
  }

  /** After a daemon restart: takes the connection back from a child that still serves it. */
  default void adopt(long childPid, String session) {}

  /** What the state file keeps so a restarted daemon can {@link #adopt}; null if nothing. */
  default String session() {
    return null;
  }

  static Connection selfMounted(MountSpec spec, MountOps ops) {
    return new SelfMounted(spec, ops);
  }

  /** The child mounts; the daemon only cleans up dead mounts. */
  final class SelfMounted implements Connection {
    private final MountSpec spec;
    private final MountOps ops;

    SelfMounted(MountSpec spec, MountOps ops) {
      this.spec = spec;
      this.ops = ops;
    }

    @Override
    public void prepare() throws IOException {
      ops.cleanFuseMount(spec.mountpointPath());
      java.nio.file.Files.createDirectories(spec.mountpointPath());
    }

    @Override
    public Process start(ProcessBuilder pb) throws IOException {
      return pb.start();
    }

    @Override
    public void afterChildDeath() {
      ops.cleanFuseMount(spec.mountpointPath());
    }

    @Override
    public void close() {
      ops.cleanFuseMount(spec.mountpointPath());
    }
  }
}
