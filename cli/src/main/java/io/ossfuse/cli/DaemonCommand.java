package io.ossfuse.cli;

import io.ossfuse.recovery.Daemon;
import io.ossfuse.recovery.DaemonConfig;
import io.ossfuse.recovery.DaemonMetrics;
import io.ossfuse.recovery.MetricsServer;
import io.ossfuse.recovery.SdNotify;
import io.ossfuse.recovery.StateFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ossfuse daemon}: the node daemon that supervises every mount (what systemd runs). */
@Command(
    name = "daemon",
    mixinStandardHelpOptions = true,
    description = {
      "Run the node daemon that supervises every mount and heals it.",
      // One element per paragraph: picocli wraps each element, and breaks the line after it.
      "Parent of one FUSE child per mount: restarts dead or hung children, re-attaches bind targets, and "
          + "brings everything in the state file back on start. Stopping it leaves mounts serving; the next "
          + "daemon adopts them. Under systemd (unit with FileDescriptorStoreMax=) each raw mount's /dev/fuse fd "
          + "is kept in the unit's fd store, so a kill of daemon and child together only stalls readers."
    })
public final class DaemonCommand implements Callable<Integer> {
  @Mixin DaemonProcessOptions daemon;

  @Option(
      names = "--state",
      defaultValue = "${env:OSSFUSE_STATE:-" + DaemonConfig.DEFAULT_STATE_PATH + "}",
      paramLabel = "FILE",
      description =
          "State file: mounts and bound targets, 0600; a bad entry is skipped and kept in FILE.rejected-<time>; "
              + "if neither FILE nor FILE.prev can be read the daemon refuses to start (exit 78) "
              + "(default: ${DEFAULT-VALUE}; env OSSFUSE_STATE).")
  Path state;

  @Option(
      names = "--probe-interval",
      defaultValue = "2s",
      paramLabel = "DURATION",
      description =
          "How often each mount is probed (stat of its root) (default: ${DEFAULT-VALUE}).")
  String probeInterval;

  @Option(
      names = "--probe-timeout",
      defaultValue = "3s",
      paramLabel = "DURATION",
      description = "A probe slower than this counts as failed (default: ${DEFAULT-VALUE}).")
  String probeTimeout;

  @Option(
      names = "--probe-failures",
      defaultValue = "2",
      paramLabel = "N",
      description =
          "Failed probes in a row that make a child count as hung (default: ${DEFAULT-VALUE}).")
  int probeFailures;

  @Option(
      names = "--backoff-cap",
      defaultValue = "30s",
      paramLabel = "DURATION",
      description =
          "Longest wait between restarts of a crash-looping child (default: ${DEFAULT-VALUE}).")
  String backoffCap;

  @Option(
      names = "--read-timeout",
      paramLabel = "DURATION",
      description =
          "Default read timeout of the mounts that set none (their --read-timeout): a read that OSS "
              + "has not answered completely within this long fails with EIO (default: 20s, or $"
              + io.ossfuse.mount.MountFactory.READ_TIMEOUT_ENV
              + ").")
  String readTimeout;

  @Option(
      names = "--metrics-addr",
      paramLabel = "[HOST:]PORT",
      description =
          "Serve Prometheus metrics on http://HOST:PORT/metrics (off by default; a bare PORT binds 127.0.0.1; docs/METRICS.md).")
  String metricsAddr;

  @Override
  public Integer call() throws Exception {
    DaemonConfig config;
    try {
      config =
          daemon
              .config(state)
              .probeInterval(duration(probeInterval, "--probe-interval"))
              .probeTimeout(duration(probeTimeout, "--probe-timeout"))
              .probeFailures(probeFailures)
              .backoffCap(duration(backoffCap, "--backoff-cap"))
              .readTimeout(readTimeout == null ? null : duration(readTimeout, "--read-timeout"))
              .build();
      if (metricsAddr != null) MetricsServer.parse(metricsAddr);
    } catch (IllegalArgumentException e) {
      System.err.println("ossfuse daemon: " + e.getMessage());
      return 2;
    }
    Daemon d;
    try {
      d = Daemon.start(config, System.getenv());
    } catch (StateFileException e) {
      System.err.println("ossfuse daemon: cannot start: " + e.getMessage());
      return StateFileException.EXIT_STATUS;
    } catch (java.io.IOException e) {
      System.err.println("ossfuse daemon: cannot start: " + e.getMessage());
      return 1;
    }
    if (metricsAddr != null) {
      try {
        System.err.println(
            "ossfuse daemon: metrics on " + DaemonMetrics.start(metricsAddr, d, config).url());
      } catch (java.io.IOException e) {
        System.err.println("ossfuse daemon: " + e.getMessage());
        d.close();
        return 1;
      }
    }
    // Type=notify units: `systemctl start` returns once the control socket listens.
    SdNotify.notify(System.getenv(), "READY=1\nSTATUS=listening on " + config.socket());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    d.close();
                  } catch (Exception ignored) {
                    // exiting anyway
                  }
                },
                "shutdown"));
    d.awaitClose();
    return 0;
  }

  /** {@code 500ms}, {@code 2s}, {@code 1m}. */
  static Duration duration(String s, String option) {
    String v = s.strip().toLowerCase(java.util.Locale.ROOT);
    try {
      if (v.endsWith("ms"))
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      if (v.endsWith("s"))
        return Duration.ofMillis(
            (long) (Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
      if (v.endsWith("m"))
        return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
      return Duration.ofSeconds(Long.parseLong(v));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          option + " '" + s + "' is not a duration: use e.g. 500ms, 2s, 1m");
    }
  }
}
