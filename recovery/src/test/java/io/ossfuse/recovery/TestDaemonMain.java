package io.ossfuse.recovery;

import java.nio.file.Path;
import java.time.Duration;

/** Runs a {@link Daemon} in its own JVM for tests (so a test can SIGKILL it): {@code BASE [--default-settings]}. */
public final class TestDaemonMain {
  private TestDaemonMain() {}

  public static void main(String[] args) throws Exception {
    Path base = Path.of(args[0]);
    DaemonConfig.Builder b = DaemonConfig.builder()
        .socket(base.resolve("run/ossfuse.sock"))
        .stateFile(base.resolve("state/state.json"))
        .allowedRoot(base.resolve("pods"))
        .logDir(base.resolve("logs"))
        .childMaxHeap("256m");
    if (!java.util.Arrays.asList(args).contains("--default-settings")) {
      // quick supervision for tests; --default-settings keeps the shipped one
      b.probeInterval(Duration.ofMillis(300))
          .probeTimeout(Duration.ofMillis(700))
          .probeFailures(2)
          .startTimeout(Duration.ofSeconds(60)) // a child JVM on a loaded machine: not a failure at 20 s
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
