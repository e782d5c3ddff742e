package io.ossfuse.recovery;

import io.ossfuse.fuse.MountInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bind targets of one mount: the pod paths bound to it (by {@code ossfuse bind}, or adopted
 * from the mount table), how to bind, unbind and re-attach them. Not thread-safe: the mount's
 * supervisor calls it on its own thread only; {@link #list()} may be read from any thread.
 */
final class MountTargets {
  private static final Logger log = LoggerFactory.getLogger(MountTargets.class);

  /**
   * What {@link #reattachAll()} did: bound afresh, found still showing the live mount, forgotten,
   * and left due at the next probe.
   */
  record Reattached(int attached, int kept, int dropped, int due) {
    /** ", kept 1, dropped 2, 1 due at the next probe" (the parts that are not 0). */
    String rest() {
      return (kept > 0 ? ", kept " + kept : "")
          + (dropped > 0 ? ", dropped " + dropped : "")
          + (due > 0 ? ", " + due + " due at the next probe" : "");
    }
  }

  private final MountSpec spec;
  private final MountOps ops;
  private final TargetBinder binder;
  private final DaemonConfig config;
  private volatile List<BindTarget> targets;

  /** A re-attach failed for some target: the next healthy probe tries again. */
  private boolean pending;

  MountTargets(
      MountSpec spec,
      List<BindTarget> targets,
      MountOps ops,
      TargetBinder binder,
      DaemonConfig config) {
    this.spec = spec;
    this.targets = List.copyOf(targets);
    this.ops = ops;
    this.binder = binder;
    this.config = config;
  }

  List<BindTarget> list() {
    return targets;
  }

  boolean pending() {
    return pending;
  }

  /**
   * Re-attaches every target to the live mount. Without one in the mount table (just probed, so a
   * moment's look), nothing is attached and the targets are due again at the next healthy probe.
   */
  Reattached reattachAll() {
    Optional<MountInfo.Entry> live = ops.fuseAt(spec.mountpointPath());
    if (live.isEmpty()) {
      pending = !targets.isEmpty();
      if (pending)
        log.warn(
            "no FUSE mount at {} to re-attach {} targets to; the next probe tries again",
            spec.mountpoint(),
            targets.size());
      return new Reattached(0, 0, 0, targets.size());
    }
    List<BindTarget> keep = new ArrayList<>();
    int attached = 0;
    int kept = 0;
    int dropped = 0;
    int failed = 0;
    for (BindTarget t : targets) {
      TargetBinder.Result r = binder.attach(t, spec.mountpointPath(), live.get());
      switch (r.outcome()) {
        case KEPT -> {
          keep.add(t);
          kept++;
        }
        case ATTACHED -> {
          keep.add(t);
          attached++;
        }
        case DROPPED -> {
          dropped++;
          log.info("dropped target {} of {}: {}", t.target(), spec.mountpoint(), r.detail());
        }
        case FAILED -> {
          keep.add(t);
          failed++;
        }
      }
    }
    targets = List.copyOf(keep);
    pending = failed > 0;
    return new Reattached(attached, kept, dropped, failed);
  }

  /**
   * Binds a new target (or confirms an existing identical one) to the {@code live} mount; true if
   * the set changed. Throws IllegalStateException with one line when it cannot.
   */
  boolean bind(BindTarget t, TargetPaths paths, MountInfo.Entry live) throws Exception {
    for (BindTarget o : targets) {
      if (o.target().equals(t.target()) && !o.subPath().equals(t.subPath())) {
        throw new IllegalStateException(
            "target "
                + t.target()
                + " is already bound to subPath '"
                + o.subPath()
                + "' of "
                + spec.mountpoint()
                + ": unbind it first");
      }
    }
    checkSubPath(t.subPath());
    Path tp = t.targetPath();
    Optional<MountInfo.Entry> top = MountOps.mounts().top(tp);
    if (top.isPresent() && !TargetBinder.matches(top.get(), t, live)) {
      boolean deadFuse = top.get().isFuse() && !ops.stat(tp).ok();
      if (!deadFuse) {
        throw new IllegalStateException(
            "target "
                + tp
                + " is already a mountpoint ("
                + top.get().fsType()
                + " from "
                + top.get().source()
                + "): refused");
      }
    }
    paths.prepare(t.target(), top.isPresent());
    TargetBinder.Result r = binder.attach(t, spec.mountpointPath(), live);
    if (r.outcome() == TargetBinder.Outcome.FAILED || r.outcome() == TargetBinder.Outcome.DROPPED) {
      throw new IllegalStateException(
          "bind of " + t.sourceIn(spec.mountpointPath()) + " to " + tp + " failed: " + r.detail());
    }
    log.info("bound {} to {} (read-only)", t.sourceIn(spec.mountpointPath()), tp);
    if (targets.contains(t)) return false;
    List<BindTarget> n = new ArrayList<>(targets);
    n.removeIf(o -> o.target().equals(t.target())); // an adopted bind of it becomes a bound target
    n.add(t);
    targets = List.copyOf(n);
    return true;
  }

  /** The subPath must be a real directory inside the mount, with no symlink on the way. */
  private void checkSubPath(String subPath) {
    if (subPath.isEmpty()) return;
    List<String> cmd = new ArrayList<>(List.of("stat", "-c", "%F", "--"));
    Path cur = spec.mountpointPath();
    for (Path seg : Path.of(subPath)) {
      cur = cur.resolve(seg);
      cmd.add(cur.toString());
    }
    Exec.Result r = Exec.run(cmd, config.probeTimeout());
    if (!r.ok()) {
      throw new IllegalStateException(
          "subPath "
              + subPath
              + " of "
              + spec.mountpoint()
              + " is not there ("
              + r.describe()
              + ")");
    }
    for (String type : r.output().strip().split("\n")) {
      if (!type.strip().equals("directory")) {
        throw new IllegalStateException(
            "subPath "
                + subPath
                + " of "
                + spec.mountpoint()
                + " goes through a "
                + type.strip()
                + ": only plain directories can be bound");
      }
    }
  }

  /** Unbinds and forgets {@code target}; false if it is not one of this mount's targets. */
  boolean unbind(String target) {
    Optional<BindTarget> t = targets.stream().filter(o -> o.target().equals(target)).findFirst();
    if (t.isEmpty()) return false;
    unbindNow(t.get());
    List<BindTarget> n = new ArrayList<>(targets);
    n.remove(t.get());
    targets = List.copyOf(n);
    return true;
  }

  /** Unbinds every target (umount). */
  void unbindAll() {
    for (BindTarget t : targets) unbindNow(t);
    targets = List.of();
  }

  private void unbindNow(BindTarget t) {
    Path tp = t.targetPath();
    for (int i = 0; i < 16; i++) {
      Optional<MountInfo.Entry> top = MountOps.mounts().top(tp);
      if (top.isEmpty() || !top.get().isFuse()) break;
      ops.lazyUnmount(tp);
    }
    log.info("unbound {} from {}", tp, spec.mountpoint());
  }

  /**
   * Lets {@code adopter} adopt, forget and collapse binds by the mount table; true if the set
   * changed.
   */
  boolean reconcile(BindAdopter adopter) {
    List<BindTarget> n = adopter.reconcile(spec.mountpointPath(), targets, pending);
    if (n == targets) return false;
    targets = List.copyOf(n);
    return true;
  }

  /** What {@code status} shows of each target. */
  List<MountStatus.TargetStatus> status(MountInfo.Entry live) {
    List<MountStatus.TargetStatus> ts = new ArrayList<>();
    MountInfo mi = MountOps.mounts();
    for (BindTarget t : targets) {
      ts.add(
          new MountStatus.TargetStatus(
              t.target(), t.subPath(), binder.healthy(t, live, mi), t.adopted()));
    }
    return ts;
  }
}
