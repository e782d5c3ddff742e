package io.ossfuse.fuse.raw;

import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.dev.ChildFd;
import io.ossfuse.fuse.dev.FuseDevice;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the watchdog will do, reduced to a test fixture: this JVM owns the /dev/fuse fd and the
 * mount; serving children ({@link PatternFsChild}) get the fd as stdin and are killed and respawned
 * at will. Everything is undone in {@link #close()}: children killed by PID, mount detached.
 */
final class ChildHarness implements Closeable {
  final Path root;
  final Path mnt;
  final Path stateDir;
  final Path log;
  final FuseDevice device;
  final SessionState state;
  private final Map<String, String> env = new HashMap<>();
  private final List<Process> children = new ArrayList<>();
  private volatile Process current;
  private String mainClass = PatternFsChild.class.getName();

  ChildHarness(String name, Map<String, String> childEnv) throws IOException {
    root = Files.createTempDirectory(name);
    mnt = Files.createDirectories(root.resolve("mnt"));
    stateDir = Files.createDirectories(root.resolve("state"));
    log = root.resolve("children.log");
    device = FuseDevice.mount(mnt, FuseMountConfig.of(name, true));
    state = new SessionState(stateDir, device.sessionId());
    env.putAll(childEnv);
    env.putAll(state.environment());
  }

  /** Starts a new child generation serving the connection (does not wait for it). */
  synchronized Process spawn(Map<String, String> extraEnv) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx1g",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xshare:auto",
            "-cp",
            cp,
            mainClass);
    pb.environment().putAll(env);
    pb.environment().putAll(extraEnv);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process p = ChildFd.start(pb, device.fd());
    children.add(p);
    current = p;
    return p;
  }

  /** Children run {@code main} instead of {@link PatternFsChild}. */
  ChildHarness mainClass(Class<?> main) {
    this.mainClass = main.getName();
    return this;
  }

  Process spawn() throws IOException {
    return spawn(Map.of());
  }

  Process current() {
    return current;
  }

  /** SIGKILL the current child and wait until it is gone. */
  void killCurrent() throws InterruptedException {
    Process p = current;
    p.destroyForcibly();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("child " + p.pid() + " survived SIGKILL");
    }
  }

  boolean probe(Duration timeout) {
    return device.probe(timeout);
  }

  String childLog() throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  @Override
  public void close() throws IOException {
    try {
      for (Process p : children) {
        if (p.isAlive()) {
          p.destroyForcibly();
        }
      }
      for (Process p : children) {
        try {
          p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    } finally {
      device.close();
      deleteTree(root);
    }
  }

  /** Removes a test's temporary tree once nothing is mounted in it. */
  static void deleteTree(Path dir) throws IOException {
    if (Files.readString(Path.of("/proc/mounts")).contains(dir.toString())) {
      return; // never walk into a mount
    }
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
