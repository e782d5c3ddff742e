package io.ossfuse.recovery;

import io.ossfuse.fuse.MountInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a mount's targets in line with the mount table, for binds that someone else made (Fluid's
 * CSI {@code NodePublishVolume}, the kubelet's subPath binds), so they are healed like the targets
 * of {@code ossfuse bind} without anyone calling it:
 *
 * <ul>
 *   <li><b>adopt</b>: a mount of the live FUSE connection (same device in mountinfo) at a path
 *       under the allowed root, visible there (topmost), becomes a target marked adopted; its root
 *       inside the mount is its subPath. Mounts inside a FUSE mount are skipped: they are copies
 *       that mount propagation makes, never a pod's bind.
 *   <li><b>forget</b>: an adopted target that shows no layer of the live connection any more was
 *       unmounted by its owner (NodeUnpublishVolume): every target was re-attached before the mount
 *       became HEALTHY, so unless a re-attach failed and is due again ({@code reattachDue}),
 *       nothing else takes the live layer away.
 *   <li><b>collapse</b>: live layers stacked on a target (another recoverer, e.g. Fluid's
 *       FuseRecovery, re-bound it too) are unmounted from the top until one is left.
 * </ul>
 *
 * Runs on the mount's own thread and only while it is HEALTHY ({@link
 * MountSupervisor#reconcileTargets}), so it never races a recovery or a bind request. An error here
 * is logged, never a reason to restart the child.
 */
final class BindAdopter {
  private static final Logger log = LoggerFactory.getLogger(BindAdopter.class);
  private static final int MAX_COLLAPSE = 16;
  private final MountOps ops;
  private final TargetPaths paths;

  BindAdopter(MountOps ops, TargetPaths paths) {
    this.ops = ops;
    this.paths = paths;
  }

  /**
   * The targets of the mount at {@code mountpoint} after a look at the current mount table; the
   * same list if nothing changed. {@code reattachDue}: a re-attach failed and is retried (targets
   * without a live bind are not forgotten then).
   */
  List<BindTarget> reconcile(Path mountpoint, List<BindTarget> targets, boolean reattachDue) {
    try {
      MountInfo mi = MountOps.mounts();
      Optional<MountInfo.Entry> live = mi.top(mountpoint).filter(MountInfo.Entry::isFuse);
      if (live.isEmpty()) return targets;
      if (collapse(mi, live.get(), targets)) mi = MountOps.mounts();
      return reconcile(mountpoint, live.get(), mi, targets, reattachDue);
    } catch (RuntimeException e) {
      log.warn("cannot check the mount table for binds of {}: {}", mountpoint, e.toString());
      return targets;
    }
  }

  /** Adopts and forgets by {@code mi} alone (no mount operation). */
  List<BindTarget> reconcile(
      Path mountpoint,
      MountInfo.Entry live,
      MountInfo mi,
      List<BindTarget> targets,
      boolean reattachDue) {
    List<BindTarget> out = new ArrayList<>(targets.size());
    Set<String> known = new HashSet<>();
    for (BindTarget t : targets) {
      if (t.adopted()
          && !reattachDue
          && mi.at(t.targetPath()).stream().noneMatch(e -> e.device().equals(live.device()))) {
        log.info("forgot adopted target {} of {}: unmounted by its owner", t.target(), mountpoint);
        continue;
      }
      out.add(t);
      known.add(t.target());
    }
    Map<Integer, MountInfo.Entry> byId = new HashMap<>();
    for (MountInfo.Entry e : mi.entries()) byId.put(e.mountId(), e);
    for (MountInfo.Entry e : mi.entries()) {
      if (!e.device().equals(live.device())
          || e.mountId() == live.mountId()
          || known.contains(e.mountPoint())) continue;
      Path at = Path.of(e.mountPoint());
      if (at.startsWith(mountpoint)
          || mi.top(at).map(top -> top.mountId() != e.mountId()).orElse(true)) continue;
      MountInfo.Entry parent = byId.get(e.parentId());
      if (parent != null && parent.isFuse()) continue;
      BindTarget t;
      try {
        String sub = TargetPaths.checkSubPath(e.root().equals("/") ? "" : e.root().substring(1));
        t = new BindTarget(paths.check(e.mountPoint()).toString(), sub, true);
      } catch (TargetPaths.TargetException | RuntimeException outsideOrOdd) {
        continue; // not under the allowed root: not ours to heal
      }
      out.add(t);
      known.add(t.target());
      log.info(
          "adopted the bind of {}{} at {}, made by someone else: it is healed like a bound target",
          mountpoint,
          t.subPath().isEmpty() ? "" : "/" + t.subPath(),
          t.target());
    }
    return out.size() == targets.size() && out.equals(targets) ? targets : out;
  }

  /** Unmounts live layers stacked on a target down to one; true if it unmounted anything. */
  private boolean collapse(MountInfo mi, MountInfo.Entry live, List<BindTarget> targets) {
    boolean any = false;
    for (BindTarget t : targets) {
      int extra = liveLayersOnTop(mi, t.targetPath(), live) - 1;
      if (extra < 1) continue;
      Path tp = t.targetPath();
      int removed = 0;
      for (int i = 0; i < MAX_COLLAPSE && liveLayersOnTop(MountOps.mounts(), tp, live) > 1; i++) {
        ops.lazyUnmount(tp);
        removed++;
      }
      any = true;
      log.info(
          "{} had {} binds of {} stacked (another recoverer bound it too): unmounted {}, one is left",
          tp,
          extra + 1,
          live.mountPoint(),
          removed);
    }
    return any;
  }

  /**
   * How many binds of the live connection, of the same directory, lie stacked at the top of {@code
   * path}.
   */
  private static int liveLayersOnTop(MountInfo mi, Path path, MountInfo.Entry live) {
    List<MountInfo.Entry> stack = mi.at(path);
    if (stack.isEmpty()) return 0;
    String root = stack.get(stack.size() - 1).root();
    int n = 0;
    for (int i = stack.size() - 1; i >= 0; i--) {
      MountInfo.Entry e = stack.get(i);
      if (!e.device().equals(live.device()) || !e.root().equals(root)) break;
      n++;
    }
    return n;
  }
}
