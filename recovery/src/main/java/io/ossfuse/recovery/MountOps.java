package io.ossfuse.recovery;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.fuse.dev.FuseConnections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The kernel-facing mount operations of the daemon: bind read-only, lazy unmount, abort a FUSE
 * connection, probe a path. Each runs as a subprocess with a timeout (see {@link Exec}).
 */
final class MountOps {
  private static final Duration CMD_TIMEOUT = Duration.ofSeconds(10);
  private static final int MAX_UNSTACK = 16;
  private static final java.util.concurrent.atomic.AtomicLong PROBES =
      new java.util.concurrent.atomic.AtomicLong();
  private final Duration probeTimeout;

  MountOps(Duration probeTimeout) {
    this.probeTimeout = probeTimeout;
  }

  /** A stat of {@code path} in a subprocess: true only on a positive answer within the timeout. */
  Exec.Result stat(Path path) {
    return Exec.run(List.of("stat", "-c", "%i", "--", path.toString()), probeTimeout);
  }

  /** The current mountinfo; unreadable /proc is a broken node, not a recoverable condition. */
  static MountInfo mounts() {
    try {
      return MountInfo.read();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(
          "cannot read " + MountInfo.PROC_MOUNTINFO + ": " + e.getMessage(), e);
    }
  }

  /** The FUSE mount that is live at {@code mountpoint}, if the topmost mount there is FUSE. */
  Optional<MountInfo.Entry> fuseAt(Path mountpoint) {
    return mounts().top(mountpoint).filter(MountInfo.Entry::isFuse);
  }

  /**
   * Positive health probe: a FUSE mount is on top of {@code mountpoint} and a lookup of a fresh,
   * never-cached name below it is answered in time ("No such file" is an answer). The root's own
   * attributes may be cached by the kernel, so a stat of the root could pass on a hung server.
   * Empty on success, else the reason.
   */
  Optional<String> probe(Path mountpoint) {
    if (fuseAt(mountpoint).isEmpty()) return Optional.of("no FUSE mount at " + mountpoint);
    Path fresh =
        mountpoint.resolve(
            ".ossfuse-probe-" + ProcessHandle.current().pid() + "-" + PROBES.incrementAndGet());
    Exec.Result r = stat(fresh);
    if (r.ok() || (!r.timedOut() && r.output().contains("No such file"))) return Optional.empty();
    return Optional.of("lookup in " + mountpoint + " " + r.describe());
  }

  /**
   * Removes any FUSE mount left at {@code mountpoint} (dead or hung), aborting its connection
   * first.
   */
  void cleanFuseMount(Path mountpoint) {
    Optional<MountInfo.Entry> e = fuseAt(mountpoint);
    if (e.isEmpty()) return;
    abortConnection(e.get().minor());
    unmountAll(mountpoint);
  }

  /** {@code mount --bind} then a read-only remount (a bind ignores -o ro on the first call). */
  void bindReadOnly(Path source, Path target) throws MountException {
    run(
        List.of("mount", "--bind", "--", source.toString(), target.toString()),
        "bind " + source + " to " + target);
    Exec.Result r =
        Exec.run(List.of("mount", "-o", "remount,bind,ro", "--", target.toString()), CMD_TIMEOUT);
    if (!r.ok()) {
      lazyUnmount(target);
      throw new MountException("remount " + target + " read-only failed (" + r.describe() + ")");
    }
  }

  /** Lazily unmounts whatever is at {@code path}, all stacked layers, so nothing stale is left. */
  void unmountAll(Path path) {
    for (int i = 0; i < MAX_UNSTACK && mounts().top(path).isPresent(); i++) {
      lazyUnmount(path);
    }
  }

  void lazyUnmount(Path path) {
    Exec.run(List.of("umount", "-l", "--", path.toString()), CMD_TIMEOUT);
  }

  /**
   * Aborts a FUSE connection through fusectl so requests stuck on a hung server end with
   * ECONNABORTED. Best effort: fusectl is mounted if it is not; where that fails (said once in the
   * log) killing the server is enough.
   */
  boolean abortConnection(int minor) {
    Optional<Path> abort = FuseConnections.abortFile(minor);
    if (abort.isEmpty()) return false;
    try {
      Files.writeString(abort.get(), "1");
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static void run(List<String> cmd, String what) throws MountException {
    Exec.Result r = Exec.run(cmd, CMD_TIMEOUT);
    if (!r.ok()) throw new MountException(what + " failed (" + r.describe() + ")");
  }

  static final class MountException extends Exception {
    MountException(String message) {
      super(message);
    }
  }
}
