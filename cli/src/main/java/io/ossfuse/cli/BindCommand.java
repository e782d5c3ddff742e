package io.ossfuse.cli;

import io.ossfuse.recovery.ControlRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ossfuse bind /mountpoint[/subdir] TARGET}. */
@Command(
    name = "bind",
    mixinStandardHelpOptions = true,
    description = {
      "Bind a mount or its subdirectory (subPath) read-only onto a pod volume path.",
      "The target must be under the daemon's allowed root; the daemon re-makes the bind after every recovery."
    })
public final class BindCommand implements Callable<Integer> {
  @Mixin DaemonClientOptions daemon;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SOURCE", description = "/mountpoint or /mountpoint/subdir")
  String source;

  @Parameters(
      index = "1",
      paramLabel = "TARGET",
      description = "e.g. /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~csi/<pv>/mount")
  String target;

  @Override
  public Integer call() {
    return daemon.callAndPrint(ControlRequest.bind(source, target), spec);
  }
}
