package io.ossfuse.cli;

import io.ossfuse.recovery.ControlClient;
import io.ossfuse.recovery.ControlRequest;
import io.ossfuse.recovery.ControlResponse;
import io.ossfuse.recovery.MountStatus;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ossfuse status [--json]}. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description =
        "Show every mount of the daemon: state, child, restarts, last crash and recovery, bound targets "
            + "(\"adopted\": a bind someone else made, found in the mount table and healed too).")
public final class StatusCommand implements Callable<Integer> {
  @Mixin DaemonClientOptions daemon;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print the status as JSON (a list of mounts).")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ControlResponse r = daemon.call(ControlRequest.status(), spec.commandLine().getErr());
    if (r == null) return 1;
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(ControlClient.toJson(r.mounts()));
    } else {
      out.print(table(r.mounts()));
    }
    out.flush();
    return 0;
  }

  static String table(List<MountStatus> mounts) {
    if (mounts.isEmpty()) return "no mounts\n";
    StringBuilder b = new StringBuilder();
    String fmt = "%-28s %-28s %-9s %-10s %-8s %-9s %-8s %-9s %s%n";
    b.append(
        String.format(
            fmt,
            "MOUNTPOINT",
            "SOURCE",
            "TRANSPORT",
            "STATE",
            "PID",
            "UPTIME",
            "RESTARTS",
            "RECOVERY",
            "LAST CRASH"));
    for (MountStatus m : mounts) {
      String state = m.state().name();
      b.append(
          String.format(
              fmt,
              m.mountpoint(),
              m.source(),
              m.transport(),
              state,
              m.childPid() == null ? "-" : m.childPid(),
              uptime(m.uptimeMs()),
              m.restarts(),
              m.lastRecoveryMs() == null ? "-" : m.lastRecoveryMs() + "ms",
              m.lastCrash() == null ? "-" : m.lastCrash()));
      if (m.detail() != null) b.append("    ").append(m.detail()).append('\n');
      if (m.standbyPid() != null) {
        b.append("    standby ")
            .append(m.standbyPid())
            .append(Boolean.TRUE.equals(m.standbyReady()) ? ": ready to take over" : ": warming up")
            .append('\n');
      }
      b.append(StatusLines.of(m.stats()));
      for (MountStatus.TargetStatus t : m.targets()) {
        b.append("    -> ").append(t.target());
        if (!t.subPath().isEmpty()) b.append("  (subPath ").append(t.subPath()).append(')');
        if (t.adopted()) b.append("  adopted");
        b.append(t.healthy() ? "  healthy" : "  NOT HEALTHY").append('\n');
      }
    }
    return b.toString();
  }

  static String uptime(long ms) {
    if (ms <= 0) return "-";
    long s = ms / 1000;
    if (s < 60) return s + "s";
    if (s < 3600) return (s / 60) + "m" + (s % 60) + "s";
    return (s / 3600) + "h" + (s % 3600 / 60) + "m";
  }
}
