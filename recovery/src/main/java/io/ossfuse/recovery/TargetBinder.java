package io.ossfuse.recovery;

import io.ossfuse.fuse.MountInfo;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attaches one recorded target to the live FUSE mount: keeps a healthy bind, removes a dead one
 * (all stacked layers, never binding on top of a stale bind: Fluid #3399/#5416) and binds again
 * read-only, or reports that the target directory is gone (the pod was deleted).
 */
final class TargetBinder {
  enum Outcome { KEPT, ATTACHED, DROPPED, FAILED }

  record Result(Outcome outcome, String detail) {}

  private static final Logger log = LoggerFactory.getLogger(TargetBinder.class);
  private final MountOps ops;
  private final TargetPaths paths;

  TargetBinder(MountOps ops, TargetPaths paths) {
    this.ops = ops;
    this.paths = paths;
  }

  /** True if {@code t} shows the live mount {@code live} (same connection, same subdir) and answers. */
  boolean healthy(BindTarget t, MountInfo.Entry live, MountInfo mi) {
    Optional<MountInfo.Entry> top = mi.top(t.targetPath());
    return live != null && top.isPresent() && matches(top.get(), t, live) && ops.stat(t.targetPath()).ok();
  }

  /** Whether mountinfo alone says the target is bound to the live mount (no I/O on the target). */
  static boolean matches(MountInfo.Entry top, BindTarget t, MountInfo.Entry live) {
    return top.device().equals(live.device()) && top.root().equals(t.expectedRoot());
  }

  Result attach(BindTarget t, Path mountpoint, MountInfo.Entry live) {
    Path tp = t.targetPath();
    MountInfo mi = MountOps.mounts();
    Optional<MountInfo.Entry> top = mi.top(tp);
    if (top.isPresent()) {
      if (matches(top.get(), t, live) && ops.stat(tp).ok()) return new Result(Outcome.KEPT, "healthy");
      ops.unmountAll(tp);
    }
    if (!Files.isDirectory(tp, LinkOption.NOFOLLOW_LINKS)) {
      return new Result(Outcome.DROPPED, "target directory " + tp + " is gone (pod deleted?)");
    }
    try {
      paths.prepare(t.target(), false);
    } catch (TargetPaths.TargetException e) {
      return new Result(Outcome.DROPPED, e.getMessage());
    }
    try {
      ops.bindReadOnly(t.sourceIn(mountpoint), tp);
      return new Result(Outcome.ATTACHED, "bound");
    } catch (MountOps.MountException e) {
      log.warn("re-attach of {} failed: {}; will retry", tp, e.getMessage());
      return new Result(Outcome.FAILED, e.getMessage());
    }
  }
}
