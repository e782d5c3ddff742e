package io.ossfuse.recovery;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs a {@link Daemon} in its own JVM for tests (so a test can SIGKILL it): {@code BASE
 * [defaults|--default-settings]}. Short probe and backoff timings unless {@code defaults}: then the
 * daemon's own defaults (what a node runs), only the paths moved under BASE.
 */
public final class TestDaemonMain {
  private TestDaemonMain() {}

  public static void main(String[] args) throws Exception {
    Path base = Path.of(args[0]);
    java.util.List<String> flags = java.util.Arrays.asList(args).subList(1, args.length);
    boolean defaults = flags.contains("defaults") || flags.contains("--default-settings");
    DaemonConfig.Builder b =
        DaemonConfig.builder()
            .socket(base.resolve("run/ossfuse.sock"))
            .stateFile(base.resolve("state/state.json"))
            .allowedRoot(base.resolve("pods"))
            .logDir(base.resolve("logs"));
    if (!defaults) {
      b.childMaxHeap("256m")
          .probeInterval(Duration.ofMillis(300))
          .probeTimeout(Duration.ofMillis(700))
          .probeFailures(2)
          .startTimeout(
              Duration.ofSeconds(60)) // a child JVM on a loaded machine: not a failure at 20 s
          .backoffBase(Duration.ofMillis(250))
          .backoffCap(Duration.ofSeconds(2));
    }
    if (flags.contains("slow-probe")) {
      b.probeTimeout(Duration.ofSeconds(90)); // a probe of a mount nobody serves hangs that long
    }
    DaemonConfig config = b.build();
    Daemon d = Daemon.start(config);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    d.close();
                  } catch (Exception ignored) {
                    // exiting anyway
                  }
                }));
    d.awaitClose();
  }
}
