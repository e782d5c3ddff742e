package io.ossfuse.recovery;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.fuse.dev.Standby;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervises one mount: starts its child, declares it HEALTHY on a positive probe, probes it
 * periodically, and on death or hang kills it by pid, cleans the dead FUSE mount, hands over to the
 * standby child (at once, ready or still warming up) or starts a new child (with capped backoff on
 * repeated fast failures: cold starts only) and re-attaches every bound target. A daemon-held
 * connection is never given up: during a long backoff its requests are answered with EIO.
 *
 * <p>Every state change and every mount operation of this mount runs on one thread (its own
 * single-threaded executor), so recovery and control requests (bind/unbind/umount) never race. The
 * periodic probe's stat runs on another thread and hands its result back: a probe in flight when
 * the child dies waits for the next child, and must not delay the takeover by its timeout.
 *
 * <p>The parts with a job of their own live beside it: {@link StandbyPool} (standbys), {@link
 * MountTargets} (bind targets), {@link ChildLauncher} (a child's command line, spec file and log).
 * What stays here, over 400 lines, is one state machine (launch, start-up poll, probe, failure,
 * backoff, takeover) whose transitions share the generation counter and one thread.
 */
final class MountSupervisor {
  private static final Logger log = LoggerFactory.getLogger(MountSupervisor.class);
  private static final long STARTUP_POLL_MS = 25;

  /** How long an adopted child's exit is waited for after the sign of its death. */
  private static final long ADOPTED_EXIT_WAIT_MS = 500;

  /**
   * After a cold start: later, so the standby's start-up does not compete with the child's first
   * requests.
   */
  private static final long STANDBY_DELAY_MS = 1000;

  /**
   * After a takeover by a standby still warming up: the next standby starts by then even if it does
   * not serve yet.
   */
  private static final long TAKEOVER_STANDBY_DELAY_MS = 1000;

  /**
   * Failures this close together are a crash storm (an OOM-kill loop): more standbys then, since
   * the next kill may come before the standby started at the last takeover is warm.
   */
  private static final long STORM_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);

  private static final int STORM_FAILURES = 2;
  private static final int STORM_STANDBYS = 3;

  /**
   * A crash loop this far into its backoff is no blip: a daemon-held connection answers requests
   * with EIO until the next child starts, so readers fail instead of hanging (the connection
   * stays).
   */
  private static final long ANSWER_ERRORS_AFTER_DELAY_MS = 2000;

  private final MountSpec spec;
  private final DaemonConfig config;
  private final ChildCommand command;
  private final Connection connection;
  private final MountOps ops;
  private final Backoff backoff;
  private final LongSupplier nanos;
  private final Runnable onChange;
  private final ScheduledExecutorService exec;
  private final java.util.concurrent.ExecutorService prober;

  // Written on exec only; volatile for status readers.
  private volatile MountState state = MountState.STARTING;
  private volatile Child child;
  private final StandbyPool standbys;

  /** When the recent failures were detected, oldest first: what tells a storm. */
  private final ArrayDeque<Long> recentFailures = new ArrayDeque<>();

  /** The FIFO of the active child if it was a standby: closed when that child is gone. */
  private Standby activeGate;

  /** The current child took over warm (a standby): its own standby can start at once. */
  private boolean warmTakeover;

  private volatile long healthySinceNanos;
  private volatile int restarts;
  private volatile String lastCrash;
  private volatile Long lastRecoveryMs;
  private volatile String detail;
  private final MountTargets targets;
  private final ChildLauncher launcher;
  private long generation;
  private long launchedAtNanos;
  private long failureDetectedNanos;

  /** The cgroup's OOM kills when a child's end was last noted. */
  private long oomKillsSeen = OomKills.count();

  private String failureCause;
  private int probeFailures;
  private ScheduledFuture<?> probeTask;
  private boolean probing;
  private boolean stopped;

  MountSupervisor(
      MountSpec spec,
      List<BindTarget> targets,
      DaemonConfig config,
      ChildCommand command,
      Connection connection,
      MountOps ops,
      TargetBinder binder,
      LongSupplier nanos,
      Runnable onChange) {
    this.spec = spec;
    this.targets = new MountTargets(spec, targets, ops, binder, config);
    this.launcher = new ChildLauncher(spec, config, command);
    this.config = config;
    this.command = command;
    this.connection = connection;
    this.ops = ops;
    this.backoff = new Backoff(config.backoffBase(), config.backoffCap());
    this.nanos = nanos;
    this.onChange = onChange;
    this.exec =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "mount" + spec.mountpoint());
              t.setDaemon(true);
              return t;
            });
    this.prober =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "probe" + spec.mountpoint());
              t.setDaemon(true);
              return t;
            });
    this.standbys =
        new StandbyPool(
            spec.mountpoint(),
            connection,
            gate -> {
              ProcessBuilder pb = launcher.process();
              pb.environment().putAll(gate.environment());
              return Child.started(connection.start(pb));
            },
            exec,
            this::guarded,
            nanos,
            onChange);
  }

  MountSpec spec() {
    return spec;
  }

  List<BindTarget> targets() {
    return targets.list();
  }

  MountState state() {
    return state;
  }

  /** The state-file view of this mount. */
  MountRecord record() {
    Child c = child;
    Child s = standbys.next().orElse(null);
    long since = healthySinceNanos;
    String healthySince =
        since == 0
            ? null
            : Instant.now().minusNanos(Math.max(0, nanos.getAsLong() - since)).toString();
    return new MountRecord(
        spec,
        targets.list(),
        c == null ? null : c.pid(),
        c == null ? null : c.startInstant(),
        connection.session(),
        s == null ? null : s.pid(),
        s == null ? null : s.startInstant(),
        healthySince);
  }

  /**
   * Starts serving. If the state file named a child that is still alive and serving (the daemon was
   * restarted, the child was not), it is adopted instead: no interruption at all.
   */
  void start(MountRecord rec) {
    Long adoptPid = rec == null ? null : rec.childPid();
    String adoptStart = rec == null ? null : rec.childStart();
    exec.execute(
        guarded(
            () -> {
              if (rec != null && rec.standbyPid() != null) {
                // A standby of the previous daemon waits on a FIFO nobody will write to again.
                Child.adopt(rec.standbyPid(), rec.standbyStart()).ifPresent(this::killAndWait);
              }
              if (adoptPid != null) {
                Optional<Child> c = Child.adopt(adoptPid, adoptStart);
                if (c.isPresent() && answersAProbe()) {
                  generation++;
                  connection.adopt(adoptPid, rec.session());
                  child = c.get();
                  launchedAtNanos = nanos.getAsLong();
                  watch(c.get(), generation);
                  log.info("adopted child {} still serving {}", adoptPid, spec.mountpoint());
                  becomeHealthy(servingSince(rec));
                  return;
                }
                c.ifPresent(Child::kill);
                failureDetectedNanos = nanos.getAsLong();
                failureCause =
                    "daemon restart (child "
                        + adoptPid
                        + (c.isPresent() ? " not answering, killed)" : " gone)");
                lastCrash = failureCause;
                setState(MountState.RECOVERING, null);
              }
              launch();
            }));
  }

  /**
   * Whether an adopted child serves: as many tries as the periodic probe allows before it calls a
   * child hung, so one slow stat on a loaded node does not replace a healthy child.
   */
  private boolean answersAProbe() {
    for (int i = 0; i < config.probeFailures(); i++) {
      Optional<String> bad = ops.probe(spec.mountpointPath());
      if (bad.isEmpty()) return true;
      log.warn(
          "probe of adopted child's mount {} failed ({} of {}): {}",
          spec.mountpoint(),
          i + 1,
          config.probeFailures(),
          bad.get());
    }
    return false;
  }

  /** An adopted child has served all along: its uptime goes on from the state file's. */
  private long servingSince(MountRecord rec) {
    long now = nanos.getAsLong();
    String was = rec.healthySince() != null ? rec.healthySince() : rec.childStart();
    try {
      return now - Math.max(0, Duration.between(Instant.parse(was), Instant.now()).toNanos());
    } catch (RuntimeException e) {
      return now; // no usable time recorded: the uptime counts from the adoption
    }
  }

  private void launch() {
    if (stopped) return;
    generation++;
    long gen = generation;
    // A crash loop stays FAILED through its retries (it would flicker otherwise) until a retry is
    // healthy.
    if (state == MountState.FAILED)
      setState(MountState.FAILED, "retrying now (" + backoff.fastFailures() + " fast failures)");
    try {
      // Never touch the mountpoint from here: a FUSE mount without a server would block this
      // thread.
      connection.prepare();
      Process p = connection.start(launcher.process());
      Child c = Child.started(p);
      child = c;
      warmTakeover = false;
      launchedAtNanos = nanos.getAsLong();
      healthySinceNanos = 0;
      log.info(
          "started child {} for {} ({} -> {}, log {})",
          c.pid(),
          spec.mountpoint(),
          spec.driver(),
          spec.transport(),
          launcher.logFile());
      onChange.run();
      watch(c, gen);
      exec.schedule(guarded(() -> pollStartup(gen)), STARTUP_POLL_MS, TimeUnit.MILLISECONDS);
    } catch (IOException | RuntimeException e) {
      fail(gen, "cannot start child: " + e.getMessage());
    }
  }

  /**
   * Standbys wanted now: one, or {@link #STORM_STANDBYS} while failures come close together. Fewer
   * are started at once, never more: a child that just failed on its own stops the refill instead.
   */
  private void fillStandbys() {
    if (stopped) return;
    standbys.fill(inStorm() ? STORM_STANDBYS : 1);
  }

  private boolean inStorm() {
    long now = nanos.getAsLong();
    while (!recentFailures.isEmpty() && now - recentFailures.peekFirst() > STORM_WINDOW_NANOS)
      recentFailures.pollFirst();
    return recentFailures.size() >= STORM_FAILURES;
  }

  /**
   * Promotes the warmest standby to active after the active child died, ready or still warming up
   * (it is further along than a cold start); false if there was none to wake.
   */
  private boolean promoteStandby() {
    Optional<StandbyPool.Promoted> p = standbys.promote();
    if (p.isEmpty()) return false;
    Child s = p.get().child();
    generation++;
    long gen = generation;
    child = s;
    activeGate = p.get().gate();
    warmTakeover = true;
    launchedAtNanos = nanos.getAsLong();
    log.info(
        "standby child {} took over {}{}",
        s.pid(),
        spec.mountpoint(),
        p.get().wasReady() ? "" : " (still warming up: it serves as soon as it is up)");
    onChange.run();
    watch(s, gen);
    exec.schedule(guarded(() -> pollStartup(gen)), STARTUP_POLL_MS, TimeUnit.MILLISECONDS);
    return true;
  }

  private void closeActiveGate() {
    Standby g = activeGate;
    activeGate = null;
    if (g != null) g.close();
  }

  private void watch(Child c, long gen) {
    c.onExit()
        .whenComplete(
            (v, e) ->
                exec.execute(
                    guarded(
                        () -> {
                          noteExit(c);
                          if (gen == generation && !stopped)
                            fail(gen, "child " + c.pid() + ": " + c.exitReason());
                        })));
    // The standby starts its takeover at the first sign of death; fail() follows with the exit
    // status. An adopted child is not ours to reap: its status may never come (a zombie that its
    // new parent, e.g. a subreaper, does not reap soon), so its death is taken from the sign.
    c.dying()
        .thenRun(
            () ->
                exec.execute(
                    guarded(
                        () -> {
                          if (gen != generation || stopped) return;
                          standbys.wakeAhead(c.pid());
                          if (c.adopted()) {
                            exec.schedule(
                                guarded(
                                    () -> {
                                      if (gen == generation && !stopped)
                                        fail(gen, "child " + c.pid() + ": " + c.exitReason());
                                    }),
                                ADOPTED_EXIT_WAIT_MS,
                                TimeUnit.MILLISECONDS);
                          }
                        })));
  }

  /**
   * Tells the successors how {@code c} ended: an outside SIGKILL is not the child's doing, unless
   * the kernel's OOM killer sent it (the cgroup's oom_kill count went up).
   */
  private void noteExit(Child c) {
    long oom = OomKills.count();
    boolean oomKilled = oom > oomKillsSeen;
    oomKillsSeen = Math.max(oomKillsSeen, oom);
    if (c.adopted()) return; // its status is not ours to read
    boolean outside = c.killedFromOutside() && !oomKilled;
    connection.noteExit(c.pid(), !outside, oomKilled ? "OOM-killed" : c.exitReason());
  }

  /**
   * Probes a starting child on the prober thread: a stat on a mount nobody serves yet blocks until
   * a child answers or the probe times out, and the death of this child must be seen meanwhile.
   */
  private void pollStartup(long gen) {
    if (gen != generation || stopped) return;
    prober.execute(
        () -> {
          Optional<String> bad;
          try {
            bad = ops.probe(spec.mountpointPath());
          } catch (RuntimeException e) {
            bad = Optional.of(e.toString());
          }
          Optional<String> result = bad;
          try {
            exec.execute(guarded(() -> startupProbed(gen, result)));
          } catch (java.util.concurrent.RejectedExecutionException stoppedMeanwhile) {
            // supervision ended while the stat ran
          }
        });
  }

  private void startupProbed(long gen, Optional<String> bad) {
    if (gen != generation || stopped) return;
    if (bad.isEmpty()) {
      becomeHealthy(nanos.getAsLong());
      return;
    }
    long waited = nanos.getAsLong() - launchedAtNanos;
    if (waited > config.startTimeout().toNanos()) {
      fail(
          gen,
          "child "
              + pidText()
              + " not ready within "
              + config.startTimeout().toSeconds()
              + " s ("
              + bad.get()
              + ")");
      return;
    }
    exec.schedule(guarded(() -> pollStartup(gen)), STARTUP_POLL_MS, TimeUnit.MILLISECONDS);
  }

  /** {@code since}: when the child began to serve (now, or earlier for an adopted child). */
  private void becomeHealthy(long since) {
    long gen = generation;
    healthySinceNanos = since;
    probeFailures = 0;
    MountTargets.Reattached counts = targets.reattachAll();
    setState(MountState.HEALTHY, null);
    if (failureDetectedNanos != 0) {
      long ms = (nanos.getAsLong() - failureDetectedNanos) / 1_000_000;
      lastRecoveryMs = ms;
      RecoveryHistory.global().recovered(spec.mountpoint(), failureCause, ms);
      log.info(
          "recovered {} in {} ms after {}; re-attached {} targets{}",
          spec.mountpoint(),
          ms,
          failureCause,
          counts.attached(),
          counts.rest());
      failureDetectedNanos = 0;
    } else {
      log.info(
          "{} healthy, child {} ready in {} ms; {} targets attached",
          spec.mountpoint(),
          pidText(),
          (nanos.getAsLong() - launchedAtNanos) / 1_000_000,
          targets.list().size());
    }
    onChange.run();
    command
        .classArchive()
        .ifPresent(
            a ->
                a.trainIfMissing(
                    (jvm, env) -> {
                      ProcessBuilder pb = launcher.process(jvm);
                      pb.environment().putAll(env);
                      return pb;
                    },
                    spec.mountpoint()));
    long every = config.probeInterval().toMillis();
    probeTask =
        exec.scheduleWithFixedDelay(guarded(() -> probe(gen)), every, every, TimeUnit.MILLISECONDS);
    // After a takeover or in a storm at once: the next crash may come soon. After a quiet cold
    // start a little later, so the standby's start-up does not compete with the first requests.
    boolean soon = warmTakeover || !recentFailures.isEmpty();
    exec.schedule(guarded(this::fillStandbys), soon ? 0 : STANDBY_DELAY_MS, TimeUnit.MILLISECONDS);
  }

  private void probe(long gen) {
    if (gen != generation || stopped || state != MountState.HEALTHY || probing) return;
    launcher.rotateLog();
    probing = true;
    prober.execute(
        () -> {
          Optional<String> bad;
          try {
            bad = ops.probe(spec.mountpointPath());
          } catch (RuntimeException e) {
            bad = Optional.of(e.toString());
          }
          Optional<String> result = bad;
          try {
            exec.execute(
                guarded(
                    () -> {
                      probing = false;
                      probed(gen, result);
                    }));
          } catch (java.util.concurrent.RejectedExecutionException stoppedMeanwhile) {
            // supervision ended while the stat ran
          }
        });
  }

  private void probed(long gen, Optional<String> bad) {
    if (gen != generation || stopped || state != MountState.HEALTHY) return;
    if (bad.isPresent()) {
      Child c = child;
      // A dead server fails the probe too (ENOTCONN) and can be seen before its exit is: report
      // the death with its real cause, not as a hang.
      if (c != null && !c.adopted() && awaitExit(c)) {
        fail(gen, "child " + c.pid() + ": " + c.exitReason());
        return;
      }
      probeFailures++;
      log.warn(
          "probe of {} failed ({} of {}): {}",
          spec.mountpoint(),
          probeFailures,
          config.probeFailures(),
          bad.get());
      if (probeFailures >= config.probeFailures())
        fail(gen, "child " + pidText() + " hung: " + bad.get());
      return;
    }
    probeFailures = 0;
    fillStandbys(); // replaces a standby that exited, or lets the storm's extra one go
    if (targets.pending()) {
      targets.reattachAll();
      onChange.run();
    }
  }

  private static boolean awaitExit(Child c) {
    try {
      c.onExit().get(200, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      return !c.isAlive();
    }
  }

  /**
   * Death or hang: kill what is left, clean the dead mount, hand over to the standby at once or
   * start a new child now or after the backoff. The connection is never given up.
   */
  private void fail(long gen, String reason) {
    if (gen != generation || stopped) return;
    generation++;
    if (probeTask != null) probeTask.cancel(false);
    long now = nanos.getAsLong();
    // checked before killAndWait below, which signals what is left of the child
    boolean crashLoop = healthySinceNanos == 0 && (child == null || !child.killedFromOutside());
    if (failureDetectedNanos == 0) {
      failureDetectedNanos = now;
      failureCause = reason;
    }
    recentFailures.addLast(now);
    lastCrash = reason;
    Child c = child;
    child = null;
    healthySinceNanos = 0;
    if (c != null) killAndWait(c);
    closeActiveGate();
    connection.afterChildDeath();
    restarts++;
    // A takeover costs no JVM start: backoff (which limits cold starts) does not apply to it.
    if (promoteStandby()) {
      setState(MountState.RECOVERING, null);
      log.warn("{} failed: {}; standby child {} took over", spec.mountpoint(), reason, pidText());
      // The next standby starts once this one serves (becomeHealthy), at the latest after a short
      // delay: its JVM start would take the CPU the takeover needs, but in a storm the next kill is
      // near. Not after a child that failed on its own before serving: that is no storm but a bad
      // config.
      if (!crashLoop)
        exec.schedule(
            guarded(this::fillStandbys), TAKEOVER_STANDBY_DELAY_MS, TimeUnit.MILLISECONDS);
      return;
    }
    Duration delay = backoff.onFailure(crashLoop);
    if (delay.isZero()) {
      setState(MountState.RECOVERING, null);
      log.warn("{} failed: {}; no standby, starting a new child now", spec.mountpoint(), reason);
    } else {
      boolean answering =
          delay.toMillis() >= ANSWER_ERRORS_AFTER_DELAY_MS && connection.answerErrorsWhileDown();
      setState(
          MountState.FAILED,
          "retrying in "
              + delay.toMillis()
              + " ms ("
              + backoff.fastFailures()
              + " fast failures)"
              + (answering ? "; answering requests with EIO meanwhile" : ""));
      log.warn(
          "{} failed: {}; {} fast failures in a row, retrying in {} ms{}",
          spec.mountpoint(),
          reason,
          backoff.fastFailures(),
          delay.toMillis(),
          answering ? "; requests are answered with EIO meanwhile" : "");
    }
    onChange.run();
    exec.schedule(guarded(this::launch), delay.toMillis(), TimeUnit.MILLISECONDS);
    // Killed from outside while nothing was warm: a standby warms up beside the cold start, so the
    // next kill of a storm finds one.
    if (!crashLoop)
      exec.schedule(guarded(this::fillStandbys), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void killAndWait(Child c) {
    if (!c.killAndWait(5))
      log.warn("child {} of {} did not exit 5 s after SIGKILL", c.pid(), spec.mountpoint());
  }

  /** Binds a new target (or confirms an existing identical one). */
  String bind(BindTarget t, TargetPaths paths) throws Exception {
    return call(
        () -> {
          if (state != MountState.HEALTHY) {
            throw new IllegalStateException(
                "mount " + spec.mountpoint() + " is " + state + ": bind again once it is HEALTHY");
          }
          MountInfo.Entry live =
              ops.fuseAt(spec.mountpointPath())
                  .orElseThrow(
                      () ->
                          new IllegalStateException(
                              "mount "
                                  + spec.mountpoint()
                                  + " has no live FUSE mount: retry shortly"));
          if (targets.bind(t, paths, live)) onChange.run();
          return "bound "
              + t.sourceIn(spec.mountpointPath())
              + " to "
              + t.targetPath()
              + " (read-only)";
        });
  }

  /** Unbinds and forgets {@code target}; false if it is not one of this mount's targets. */
  boolean unbind(String target) throws Exception {
    return call(
        () -> {
          if (!targets.unbind(target)) return false;
          onChange.run();
          return true;
        });
  }

  /**
   * Lets {@code adopter} adopt, forget and collapse binds by the mount table (binds made by
   * others). On this mount's thread and only while HEALTHY: during a recovery the table shows dead
   * binds that the re-attach heals. Not {@link #guarded}: an adoption problem is no reason to
   * restart the child.
   */
  void reconcileTargets(BindAdopter adopter) {
    try {
      exec.execute(
          () -> {
            if (stopped || state != MountState.HEALTHY) return;
            if (targets.reconcile(adopter)) onChange.run();
          });
    } catch (java.util.concurrent.RejectedExecutionException stoppedMeanwhile) {
      // supervision ended
    }
  }

  /**
   * Stops the child and removes the mount; refuses while targets are bound unless {@code force}.
   */
  void stop(boolean force) throws Exception {
    call(
        () -> {
          List<BindTarget> bound = targets.list();
          if (!bound.isEmpty() && !force) {
            throw new IllegalStateException(
                spec.mountpoint()
                    + " still has "
                    + bound.size()
                    + " bound target(s) ("
                    + bound.get(0).target()
                    + (bound.size() > 1 ? ", ..." : "")
                    + "): unbind them or use umount --force");
          }
          targets.unbindAll();
          stopped = true;
          generation++;
          if (probeTask != null) probeTask.cancel(false);
          standbys.stopAll();
          Child c = child;
          child = null;
          if (c != null && c.isAlive()) {
            c.terminate();
            try {
              c.onExit().get(3, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
              killAndWait(c);
            }
          }
          closeActiveGate();
          connection.close();
          setState(MountState.STOPPED, null);
          log.info("stopped {}", spec.mountpoint());
          return null;
        });
    exec.shutdown();
    prober.shutdown();
  }

  /** Leaves child and mounts running (a restarted daemon adopts them); just stops supervising. */
  void detach() {
    exec.shutdownNow();
    prober.shutdownNow();
    standbys.abandon(); // not serving; the next daemon starts its own
  }

  MountStatus status() {
    Child c = child;
    Child sb = standbys.next().orElse(null);
    Boolean sbReady = standbys.nextReady();
    long since = healthySinceNanos;
    MountInfo.Entry live =
        state == MountState.HEALTHY ? ops.fuseAt(spec.mountpointPath()).orElse(null) : null;
    List<MountStatus.TargetStatus> ts = targets.status(live);
    long uptime =
        state == MountState.HEALTHY && since != 0 ? (nanos.getAsLong() - since) / 1_000_000 : 0;
    return new MountStatus(
        spec.source(),
        spec.mountpoint(),
        spec.transport(),
        spec.driver(),
        state,
        c == null ? null : c.pid(),
        sb == null ? null : sb.pid(),
        sb == null ? null : sbReady,
        uptime,
        restarts,
        lastCrash,
        lastRecoveryMs,
        detail,
        ts,
        MountStats.of(
            DaemonMetrics.statsFile(config, spec),
            c == null ? null : c.pid(),
            RecoveryHistory.global().recent(spec.mountpoint()),
            System.currentTimeMillis()));
  }

  private void setState(MountState s, String detail) {
    if (s != state) log.info("{}: {} -> {}", spec.mountpoint(), state, s);
    state = s;
    this.detail = detail;
  }

  private String pidText() {
    Child c = child;
    return c == null ? "?" : Long.toString(c.pid());
  }

  /**
   * A task that cannot die silently: an unexpected error is logged and treated as a failure of the
   * current child, so supervision always goes on (a swallowed exception would end a probe chain).
   */
  private Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (Throwable t) {
        log.error("internal error supervising {}: {}", spec.mountpoint(), t.toString(), t);
        try {
          fail(generation, "internal error: " + t);
        } catch (Throwable t2) {
          log.error(
              "cannot restart {} after an internal error: {}", spec.mountpoint(), t2.toString());
        }
      }
    };
  }

  private <T> T call(Callable<T> task) throws Exception {
    try {
      return exec.submit(task).get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception ex) throw ex;
      throw e;
    }
  }
}
