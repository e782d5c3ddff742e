package io.ossfuse.cli;

import io.ossfuse.recovery.ControlRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ossfuse unbind TARGET}. */
@Command(
    name = "unbind",
    mixinStandardHelpOptions = true,
    description =
        "Unmount a bind target and forget it (the target directory itself is left to its owner).")
public final class UnbindCommand implements Callable<Integer> {
  @Mixin DaemonClientOptions daemon;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "TARGET")
  String target;

  @Override
  public Integer call() {
    return daemon.callAndPrint(ControlRequest.unbind(target), spec);
  }
}
