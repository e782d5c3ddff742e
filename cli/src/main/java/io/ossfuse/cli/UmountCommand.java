package io.ossfuse.cli;

import io.ossfuse.recovery.ControlRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ossfuse umount [--force] /mountpoint}. */
@Command(
    name = "umount",
    mixinStandardHelpOptions = true,
    description =
        "Stop a mount of the daemon. Refuses while targets are bound unless --force, which unbinds them first.")
public final class UmountCommand implements Callable<Integer> {
  @Mixin DaemonClientOptions daemon;
  @Spec CommandSpec spec;

  @Option(names = "--force", description = "Unbind every target of the mount first.")
  boolean force;

  @Parameters(index = "0", paramLabel = "MOUNTPOINT")
  String mountpoint;

  @Override
  public Integer call() {
    return daemon.callAndPrint(ControlRequest.umount(mountpoint, force), spec);
  }
}
