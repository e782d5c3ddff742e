package io.ossfuse.cli;

import io.ossfuse.recovery.ControlRequest;
import io.ossfuse.recovery.ControlResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ossfuse unbind TARGET}. */
@Command(name = "unbind", mixinStandardHelpOptions = true,
    description = "Unmount a bind target and forget it (the target directory itself is left to its owner).")
public final class UnbindCommand implements Callable<Integer> {
  @Mixin DaemonClientOptions daemon;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "TARGET")
  String target;

  @Override
  public Integer call() {
    ControlResponse r = daemon.call(ControlRequest.unbind(target), spec.commandLine().getErr());
    if (r == null) return 1;
    spec.commandLine().getOut().println(r.message());
    return 0;
  }
}
