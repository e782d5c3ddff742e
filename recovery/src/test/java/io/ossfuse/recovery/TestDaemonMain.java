package io.ossfuse.recovery;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs a {@link Daemon} in its own JVM for tests (so a test can SIGKILL it): {@code BASE [defaults]}.
 * Short probe and backoff timings unless {@code defaults}: then the daemon's own defaults (what a node
 * runs), only the paths moved under BASE.
 */
public final class TestDaemonMain {
  private TestDaemonMain() {}

  public static void main(String[] args) throws Exception {
    Path base = Path.of(args[0]);
    boolean defaults = args.length > 1 && args[1].equals("defaults");
    DaemonConfig.Builder b = DaemonConfig.builder()
        .socket(base.resolve("run/ossfuse.sock"))
        .stateFile(base.resolve("state/state.json"))
        .allowedRoot(base.resolve("pods"))
        .logDir(base.resolve("logs"));
    if (!defaults) {
      b.childMaxHeap("256m")
          .probeInterval(Duration.ofMillis(300))
          .probeTimeout(Duration.ofMillis(700))
          .probeFailures(2)
          .startTimeout(Duration.ofSeconds(20))
          .backoffBase(Duration.ofMillis(250))
          .backoffCap(Duration.ofSeconds(2))
          .stableAfter(Duration.ofSeconds(1));
    }
    DaemonConfig config = b.build();
    Daemon d = Daemon.start(config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        d.close();
      } catch (Exception ignored) {
        // exiting anyway
      }
    }));
    d.awaitClose();
  }
}
