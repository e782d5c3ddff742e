package io.ossfuse.recovery;

import io.ossfuse.fuse.dev.Standby;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pre-started standby children of one daemon-held mount: each pays its JVM and OSS client
 * start-up ahead of a crash, so a takeover costs milliseconds. Usually one; during a crash storm
 * more, because a kill can come before the standby started at the previous takeover is warm (a JVM
 * start costs seconds of CPU on a small node).
 *
 * <p>Not thread-safe: every method but the status readers runs on the supervisor's thread.
 */
final class StandbyPool {
  private static final Logger log = LoggerFactory.getLogger(StandbyPool.class);
  private static final long READY_POLL_MS = 50;

  /**
   * A standby that exits before taking over is replaced after this, doubled per exit in a row up to
   * the cap.
   */
  private static final long RETRY_MS = 5000;

  private static final long RETRY_CAP_MS = 60_000;

  /**
   * Starts the process of a new standby: the supervisor's child command plus the FIFO's
   * environment.
   */
  interface Launcher {
    Child start(Standby gate) throws IOException;
  }

  /**
   * A standby taking over: its process, its FIFO (the active child's from now on), whether it was
   * warm.
   */
  record Promoted(Child child, Standby gate, boolean wasReady) {}

  private static final class Slot {
    final Child child;
    final Standby gate;
    final long startedNanos;
    volatile boolean ready;

    Slot(Child child, Standby gate, long startedNanos) {
      this.child = child;
      this.gate = gate;
      this.startedNanos = startedNanos;
    }
  }

  private final String mountpoint;
  private final Connection connection;
  private final Launcher launcher;
  private final ScheduledExecutorService exec;
  private final UnaryOperator<Runnable> guarded;
  private final LongSupplier nanos;
  private final Runnable onChange;

  /**
   * Oldest first; replaced whole on every change so status readers on other threads see a snapshot.
   */
  private volatile List<Slot> slots = List.of();

  /**
   * Woken ahead of the active child's exit status ({@link #wakeAhead}): the next {@link #promote}
   * returns it.
   */
  private Slot woken;

  private boolean wokenReady;
  private int exitsInARow;
  private long retryAtNanos;
  private boolean retryScheduled;

  StandbyPool(
      String mountpoint,
      Connection connection,
      Launcher launcher,
      ScheduledExecutorService exec,
      UnaryOperator<Runnable> guarded,
      LongSupplier nanos,
      Runnable onChange) {
    this.mountpoint = mountpoint;
    this.connection = connection;
    this.launcher = launcher;
    this.exec = exec;
    this.guarded = guarded;
    this.nanos = nanos;
    this.onChange = onChange;
  }

  int size() {
    return slots.size();
  }

  /** The standby a takeover would wake first, for the state file and status; empty without one. */
  Optional<Child> next() {
    return best().map(s -> s.child);
  }

  /** Whether {@link #next()} is warm; null without a standby. */
  Boolean nextReady() {
    return best().map(s -> s.ready).orElse(null);
  }

  /**
   * Starts standbys until there are {@code target} (fewer if the connection cannot hand over, or
   * standbys keep exiting: then one at a time after a growing pause). Extra ones are stopped.
   */
  void fill(int target) {
    while (slots.size() > target) {
      // the one taking over is never stopped
      Slot youngest =
          slots.get(slots.size() - 1) != woken
              ? slots.get(slots.size() - 1)
              : slots.get(slots.size() - 2);
      remove(youngest);
      log.info(
          "standby child {} of {} stopped: {} are enough now",
          youngest.child.pid(),
          mountpoint,
          target);
      youngest.child.kill();
      youngest.child.onExit().whenComplete((v, e) -> youngest.gate.close());
    }
    while (slots.size() < target) {
      long wait = retryAtNanos - nanos.getAsLong();
      if (wait > 0) {
        if (!retryScheduled) {
          retryScheduled = true;
          exec.schedule(
              guarded.apply(
                  () -> {
                    retryScheduled = false;
                    fill(target);
                  }),
              wait / 1_000_000 + 1,
              TimeUnit.MILLISECONDS);
        }
        return;
      }
      if (!spawn()) return;
    }
  }

  private boolean spawn() {
    Standby gate = null;
    try {
      Optional<Standby> g = connection.prepareStandby();
      if (g.isEmpty()) return false;
      gate = g.get();
      Child c = launcher.start(gate);
      Slot s = new Slot(c, gate, nanos.getAsLong());
      List<Slot> n = new ArrayList<>(slots);
      n.add(s);
      slots = List.copyOf(n);
      onChange.run();
      log.info(
          "standby child {} started for {}; warming up ({} standing by)",
          c.pid(),
          mountpoint,
          n.size());
      exec.schedule(guarded.apply(() -> pollReady(s)), READY_POLL_MS, TimeUnit.MILLISECONDS);
      c.onExit().whenComplete((v, e) -> exec.execute(guarded.apply(() -> exited(s))));
      return true;
    } catch (IOException | RuntimeException e) {
      if (gate != null) gate.close();
      log.warn("cannot start a standby child for {}: {}", mountpoint, e.getMessage());
      return false;
    }
  }

  /** A standby died before taking over: the next one waits a little longer each time in a row. */
  private void exited(Slot s) {
    if (!slots.contains(s))
      return; // promoted (its FIFO is then the active child's) or stopped already
    if (s == woken) woken = null;
    remove(s);
    s.gate.close();
    long retry = Math.min(RETRY_CAP_MS, RETRY_MS << Math.min(exitsInARow, 4));
    exitsInARow++;
    retryAtNanos = nanos.getAsLong() + retry * 1_000_000;
    log.warn(
        "standby child {} of {} exited ({}); another starts in {} ms at the earliest",
        s.child.pid(),
        mountpoint,
        s.child.exitReason(),
        retry);
  }

  private void pollReady(Slot s) {
    if (!slots.contains(s) || s.ready) return;
    if (s.gate.isReady()) {
      exitsInARow = 0;
      // Logged before the status shows it: whoever sees "ready" in status finds the line too.
      log.info(
          "standby child {} ready to take over {} ({} ms after its start)",
          s.child.pid(),
          mountpoint,
          (nanos.getAsLong() - s.startedNanos) / 1_000_000);
      s.ready = true;
      onChange.run();
      return;
    }
    if (s.child.isAlive()) {
      exec.schedule(guarded.apply(() -> pollReady(s)), READY_POLL_MS, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Wakes the warmest standby after the active child is gone: a ready one (the oldest), else the
   * one furthest into its start-up. Empty if there was none or none could be woken (those are
   * stopped). Never delayed by backoff: a takeover costs no JVM start.
   */
  Optional<Promoted> promote() {
    Slot w = woken;
    woken = null;
    if (w != null && slots.contains(w)) {
      remove(w);
      if (w.child.isAlive()) return Optional.of(new Promoted(w.child, w.gate, wokenReady));
      killAndWait(w.child);
      w.gate.close();
    }
    while (true) {
      Optional<Slot> b = best();
      if (b.isEmpty()) return Optional.empty();
      Slot s = b.get();
      remove(s);
      boolean ready = s.ready || s.gate.isReady();
      try {
        if (s.child.isAlive() && connection.activateStandby(s.gate)) {
          return Optional.of(new Promoted(s.child, s.gate, ready));
        }
      } catch (IOException | RuntimeException e) {
        log.warn(
            "cannot wake the standby child {} of {}: {}",
            s.child.pid(),
            mountpoint,
            e.getMessage());
      }
      killAndWait(s.child);
      s.gate.close();
    }
  }

  /**
   * The active child is surely dying but its exit status is not there yet (the kernel is still
   * tearing its memory down): wakes the standby {@link #promote} will return, so the takeover runs
   * meanwhile. At most one per death; the supervisor promotes it when the exit status comes.
   */
  void wakeAhead(long dyingPid) {
    if (woken != null && slots.contains(woken)) return;
    Optional<Slot> b = best();
    if (b.isEmpty()) return;
    Slot s = b.get();
    boolean ready = s.ready || s.gate.isReady();
    try {
      if (s.child.isAlive() && connection.activateStandby(s.gate)) {
        woken = s;
        wokenReady = ready;
        log.info(
            "child {} of {} is dying: standby child {} woken{}",
            dyingPid,
            mountpoint,
            s.child.pid(),
            ready ? "" : " (still warming up)");
      }
    } catch (IOException | RuntimeException e) {
      log.warn(
          "cannot wake the standby child {} of {}: {}", s.child.pid(), mountpoint, e.getMessage());
    }
  }

  /** Stops every standby and waits for it (umount). */
  void stopAll() {
    List<Slot> all = slots;
    slots = List.of();
    for (Slot s : all) {
      killAndWait(s.child);
      s.gate.close();
    }
  }

  /** Kills every standby without waiting (the daemon leaves; its successor starts its own). */
  void abandon() {
    List<Slot> all = slots;
    slots = List.of();
    for (Slot s : all) {
      s.child.kill();
      s.gate.close();
    }
  }

  private Optional<Slot> best() {
    List<Slot> all = slots;
    return all.stream()
        .filter(s -> s.ready)
        .findFirst()
        .or(() -> all.stream().min(Comparator.comparingLong(s -> s.startedNanos)));
  }

  private void remove(Slot s) {
    List<Slot> n = new ArrayList<>(slots);
    n.remove(s);
    slots = List.copyOf(n);
    onChange.run();
  }

  private void killAndWait(Child c) {
    if (!c.killAndWait(5))
      log.warn("standby child {} of {} did not exit 5 s after SIGKILL", c.pid(), mountpoint);
  }
}
