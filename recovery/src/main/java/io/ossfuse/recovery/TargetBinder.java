package io.ossfuse.recovery;

import io.ossfuse.fuse.MountInfo;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attaches one recorded target to the live FUSE mount: keeps a healthy bind, removes a dead one
 * (all stacked layers, never binding on top of a stale bind: Fluid #3399/#5416) and binds again
 * read-only, or reports that the target directory is gone (the pod was deleted). An adopted target
 * is re-attached on top of its dead bind instead ({@link #reattachAdopted}).
 */
final class TargetBinder {
  enum Outcome {
    KEPT,
    ATTACHED,
    DROPPED,
    FAILED
  }

  record Result(Outcome outcome, String detail) {}

  private static final Logger log = LoggerFactory.getLogger(TargetBinder.class);
  private final MountOps ops;
  private final TargetPaths paths;

  TargetBinder(MountOps ops, TargetPaths paths) {
    this.ops = ops;
    this.paths = paths;
  }

  /**
   * True if {@code t} shows the live mount {@code live} (same connection, same subdir) and answers.
   */
  boolean healthy(BindTarget t, MountInfo.Entry live, MountInfo mi) {
    Optional<MountInfo.Entry> top = mi.top(t.targetPath());
    return live != null
        && top.isPresent()
        && matches(top.get(), t, live)
        && ops.stat(t.targetPath()).ok();
  }

  /** Whether mountinfo alone says the target is bound to the live mount (no I/O on the target). */
  static boolean matches(MountInfo.Entry top, BindTarget t, MountInfo.Entry live) {
    return top.device().equals(live.device()) && top.root().equals(t.expectedRoot());
  }

  Result attach(BindTarget t, Path mountpoint, MountInfo.Entry live) {
    if (t.adopted()) return reattachAdopted(t, mountpoint, live);
    Path tp = t.targetPath();
    MountInfo mi = MountOps.mounts();
    Optional<MountInfo.Entry> top = mi.top(tp);
    if (top.isPresent()) {
      if (matches(top.get(), t, live) && ops.stat(tp).ok())
        return new Result(Outcome.KEPT, "healthy");
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

  /**
   * An adopted bind belongs to its owner: it is kept while it shows the live mount, forgotten when
   * the owner unmounted it (nothing left there) or mounted something else, and otherwise bound
   * again <em>on top of</em> the dead bind of the lost connection, never in its place. A pod sees
   * its volume through its own copy of that bind (kubelet, {@code mountPropagation:
   * HostToContainer}): a bind made on top of the dead one propagates into the pod, one made after
   * unmounting it never does (the pod keeps ENOTCONN until restarted). The dead layer below goes
   * with the owner's unmount (Fluid's NodeUnpublishVolume unmounts until nothing is left); live
   * layers are never stacked.
   */
  private Result reattachAdopted(BindTarget t, Path mountpoint, MountInfo.Entry live) {
    Path tp = t.targetPath();
    List<MountInfo.Entry> stack = MountOps.mounts().at(tp);
    if (stack.isEmpty()) return new Result(Outcome.DROPPED, "unmounted by its owner");
    MountInfo.Entry top = stack.get(stack.size() - 1);
    if (top.device().equals(live.device())) return new Result(Outcome.KEPT, "healthy");
    if (!top.fsType().equals(live.fsType())) {
      return new Result(
          Outcome.DROPPED,
          "its owner mounted " + top.fsType() + " from " + top.source() + " there");
    }
    // A fresh name, not the root: a dead connection still answers a stat of the root from the
    // cache.
    if (ops.probe(tp).isEmpty())
      return new Result(Outcome.DROPPED, "it shows another live " + top.fsType() + " mount");
    try {
      paths.prepare(t.target(), true); // the last component is the dead mountpoint: not stat'ed
    } catch (TargetPaths.TargetException e) {
      return new Result(Outcome.DROPPED, e.getMessage());
    }
    try {
      ops.bindReadOnly(t.sourceIn(mountpoint), tp);
      return new Result(Outcome.ATTACHED, "bound on top of the dead bind");
    } catch (MountOps.MountException e) {
      log.warn("re-attach of adopted {} failed: {}; will retry", tp, e.getMessage());
      return new Result(Outcome.FAILED, e.getMessage());
    }
  }
}
