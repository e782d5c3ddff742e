package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Glue between the {@link Daemon} and its observability: the metrics endpoint over the daemon's
 * mounts, and where each mount's child writes its stats.
 */
public final class DaemonMetrics {
  private DaemonMetrics() {}

  /** Serves {@code /metrics} for {@code daemon} on {@code addr} ({@link MetricsServer#start}). */
  public static MetricsServer start(String addr, Daemon daemon, DaemonConfig config)
      throws IOException {
    return MetricsServer.start(addr, () -> views(daemon, config), RecoveryHistory.global());
  }

  /** The stats file of the child serving {@code spec} (next to its spec file). */
  static Path statsFile(DaemonConfig config, MountSpec spec) {
    return StatsFiles.forSpecFile(config.specDir().resolve(spec.id() + ".json"));
  }

  /**
   * The stats file of the child serving {@code mountpoint} (a mount's id depends only on its
   * mountpoint).
   */
  static Path statsFile(DaemonConfig config, String mountpoint) {
    return statsFile(config, new MountSpec("/", mountpoint, null, MountSpec.DRIVER_BINDFS, null));
  }

  static List<MountView> views(Daemon daemon, DaemonConfig config) {
    ControlResponse r = daemon.handle(ControlRequest.status());
    List<MountView> out = new ArrayList<>();
    if (r.mounts() == null) return out;
    for (MountStatus s : r.mounts()) {
      out.add(
          new MountView(
              s.mountpoint(),
              s.source(),
              s.transport(),
              s.driver(),
              s.state().name(),
              s.childPid(),
              s.uptimeMs(),
              s.restarts(),
              statsFile(config, s.mountpoint())));
    }
    return out;
  }
}
