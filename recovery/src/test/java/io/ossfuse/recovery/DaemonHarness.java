package io.ossfuse.recovery;

import io.ossfuse.fuse.MountInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A daemon in its own JVM over a private temp tree ({@code BASE/pods} is the allowed root). Tracks
 * every pid it saw so {@link #close()} kills them by pid and lazily unmounts everything under BASE.
 */
final class DaemonHarness implements AutoCloseable {
  final Path base;
  private final Set<Long> pids = new HashSet<>();

  /**
   * Added to the daemon's environment (its children inherit it) and to its arguments at each start.
   */
  final java.util.Map<String, String> env = new java.util.HashMap<>();

  final List<String> daemonArgs = new ArrayList<>();
  private final boolean defaults;
  private Process daemon;
  private int starts;

  DaemonHarness() throws IOException {
    this(false);
  }

  /**
   * @param defaults the daemon runs with its default settings (else short test timings)
   */
  DaemonHarness(boolean defaults) throws IOException {
    this.defaults = defaults;
    base = Files.createTempDirectory(Path.of("/tmp"), "wd");
    Files.createDirectories(base.resolve("pods"));
  }

  Path socket() {
    return base.resolve("run/ossfuse.sock");
  }

  Path stateFile() {
    return base.resolve("state/state.json");
  }

  Path daemonLog() {
    return base.resolve("daemon.log");
  }

  Path pods() {
    return base.resolve("pods");
  }

  void start() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
                java,
                "-Xmx128m",
                "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                "-cp",
                System.getProperty("java.class.path"),
                TestDaemonMain.class.getName(),
                base.toString(),
                defaults ? "defaults" : "test-timings")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(daemonLog().toFile()));
    pb.command().addAll(daemonArgs);
    pb.environment().putAll(env);
    daemon = pb.start();
    pids.add(daemon.pid());
    starts++;
    // a JVM start on a loaded 2-core machine takes many seconds: a generous deadline, not a pace
    long deadline = System.nanoTime() + 90_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (!daemon.isAlive())
        throw new IllegalStateException("daemon exited: " + Files.readString(daemonLog()));
      if (Files.exists(socket())) {
        try {
          client().send(ControlRequest.status());
          return;
        } catch (IOException notYet) {
          // listening soon
        }
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("daemon did not listen within 90 s");
  }

  void killDaemon() throws InterruptedException {
    daemon.destroyForcibly();
    daemon.waitFor();
  }

  ControlClient client() {
    return new ControlClient(socket());
  }

  ControlResponse send(ControlRequest r) throws IOException {
    ControlResponse resp = client().send(r);
    if (resp.mounts() != null) {
      resp.mounts()
          .forEach(
              m -> {
                if (m.childPid() != null) pids.add(m.childPid());
                if (m.standbyPid() != null) pids.add(m.standbyPid());
              });
    }
    return resp;
  }

  ControlResponse ok(ControlRequest r) throws IOException {
    ControlResponse resp = send(r);
    if (!resp.ok()) throw new AssertionError(r.op() + " failed: " + resp.error());
    return resp;
  }

  MountStatus status(String mountpoint) throws IOException {
    return ok(ControlRequest.status()).mounts().stream()
        .filter(m -> m.mountpoint().equals(mountpoint))
        .findFirst()
        .orElseThrow(() -> new AssertionError(mountpoint + " not in status"));
  }

  /** Polls status until {@code cond} holds; returns the status that satisfied it. */
  MountStatus await(String mountpoint, Predicate<MountStatus> cond, Duration timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    MountStatus s = null;
    while (System.nanoTime() < deadline) {
      s = status(mountpoint);
      if (cond.test(s)) return s;
      Thread.sleep(50);
    }
    throw new AssertionError(
        "condition not met within " + timeout + "; last status " + s + "\n" + diagnostics());
  }

  /** Waits until {@code mountpoint} is HEALTHY and every target shows the live connection. */
  MountStatus awaitBound(String mountpoint, Duration timeout) throws Exception {
    return await(mountpoint, DaemonHarness::bound, timeout);
  }

  /** As {@link #awaitBound}, served by another child than {@code pid} (it was killed). */
  MountStatus awaitBoundAfter(String mountpoint, long pid, Duration timeout) throws Exception {
    return await(mountpoint, m -> bound(m) && m.childPid() != null && m.childPid() != pid, timeout);
  }

  private static boolean bound(MountStatus m) {
    return m.state() == MountState.HEALTHY
        && m.targets().stream().allMatch(MountStatus.TargetStatus::healthy);
  }

  /** The daemon log's tail and the mounts under this harness's base: what a failure needs. */
  String diagnostics() throws IOException {
    List<String> lines = log().lines().toList();
    String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    String mounts =
        MountOps.mounts().entries().stream()
            .filter(e -> e.mountPoint().startsWith(base.toString()))
            .map(e -> e.mountPoint() + " " + e.root() + " " + e.device() + " " + e.fsType())
            .collect(java.util.stream.Collectors.joining("\n"));
    return "mounts under " + base + ":\n" + mounts + "\ndaemon log (tail):\n" + tail;
  }

  /**
   * Waits until standby child {@code pid} is blocked opening its FIFO ({@code fuse.dev.Standby}):
   * from then on an activation wakes it at once. The kernel shows the wait as the wchan of the
   * waiting thread; a probe that opened the FIFO itself would wake (and end) the standby.
   */
  void awaitStandingBy(long pid, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Path tasks = Path.of("/proc", Long.toString(pid), "task");
    while (System.nanoTime() < deadline) {
      try (Stream<Path> ts = Files.list(tasks)) {
        if (ts.anyMatch(
            t -> {
              try {
                return Files.readString(t.resolve("wchan")).strip().equals("wait_for_partner");
              } catch (IOException gone) {
                return false;
              }
            })) {
          return;
        }
      } catch (IOException | java.io.UncheckedIOException exited) {
        throw new AssertionError("standby child " + pid + " exited before standing by: " + log());
      }
      Thread.sleep(50);
    }
    throw new AssertionError("standby child " + pid + " not standing by within " + timeout);
  }

  /** A mount of a local source dir served by a real bindfs child. */
  MountSpec bindfsSpec(Path src, Path mnt) {
    return new MountSpec(src.toString(), mnt.toString(), null, MountSpec.DRIVER_BINDFS, null);
  }

  void trackPid(long pid) {
    pids.add(pid);
  }

  String log() throws IOException {
    return Files.exists(daemonLog()) ? Files.readString(daemonLog()) : "";
  }

  /** Waits until the daemon's log says {@code text} (polling, with a deadline). */
  void awaitLog(String text, java.time.Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!log().contains(text)) {
      if (System.nanoTime() > deadline)
        throw new AssertionError("the log never said '" + text + "':\n" + log());
      Thread.sleep(100); // polling a condition, with a deadline
    }
  }

  int starts() {
    return starts;
  }

  @Override
  public void close() throws Exception {
    // Children the daemon started that no status call saw (e.g. while restarting): from its log.
    for (String line : log().lines().toList()) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(?:started child|standby child) (\\d+)").matcher(line);
      if (m.find()) pids.add(Long.parseLong(m.group(1)));
    }
    try {
      if (Files.exists(stateFile())) {
        DaemonState s = Json.mapper().readValue(stateFile().toFile(), DaemonState.class);
        s.mounts()
            .forEach(
                m -> {
                  if (m.childPid() != null) pids.add(m.childPid());
                  if (m.standbyPid() != null) pids.add(m.standbyPid());
                });
      }
    } catch (IOException ignored) {
      // best effort: pids seen in status are tracked too
    }
    // The daemon first, and wait for it: a live daemon would re-mount what we unmount below.
    if (daemon != null) {
      daemon.destroyForcibly();
      daemon.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
    }
    for (long pid : pids) {
      ProcessHandle.of(pid)
          .ifPresent(
              h -> {
                h.destroyForcibly();
                Exec.run(List.of("kill", "-CONT", Long.toString(pid)), Duration.ofSeconds(2));
                try {
                  h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (Exception ignored) {
                  // unmounting below still detaches whatever it served
                }
              });
      WarmUpDir.removeOf(pid); // a standby killed here, with the daemon gone, leaves it in memory
    }
    // children may still be SIGSTOPped: SIGKILL wakes them; then unmount innermost first.
    for (int round = 0; round < 5; round++) {
      List<String> under = new ArrayList<>();
      for (MountInfo.Entry e : MountOps.mounts().entries()) {
        if (e.mountPoint().startsWith(base.toString())) under.add(e.mountPoint());
      }
      if (under.isEmpty()) break;
      under.sort(Comparator.comparingInt(String::length).reversed());
      for (String m : under) Exec.run(List.of("umount", "-l", m), Duration.ofSeconds(5));
    }
    try (Stream<Path> walk = Files.walk(base)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temp dir is harmless; a leftover mount is not, and is handled above
    }
  }
}
