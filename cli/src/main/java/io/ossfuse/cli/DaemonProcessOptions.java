package io.ossfuse.cli;

import io.ossfuse.recovery.DaemonConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options of a daemon this process runs, shared by {@code daemon} and {@code fluid}. */
final class DaemonProcessOptions {
  @Option(
      names = "--socket",
      defaultValue = DaemonClientOptions.SOCKET_DEFAULT,
      paramLabel = "PATH",
      description =
          "Control socket, 0600 in a 0700 directory (default: ${DEFAULT-VALUE}; env OSSFUSE_SOCKET).")
  Path socket;

  @Option(
      names = "--allowed-root",
      defaultValue = "${env:OSSFUSE_ALLOWED_ROOT:-" + DaemonConfig.DEFAULT_ALLOWED_ROOT_PATH + "}",
      paramLabel = "DIR",
      description =
          "Bind targets must be under this directory (default: ${DEFAULT-VALUE}; env OSSFUSE_ALLOWED_ROOT).")
  Path allowedRoot;

  @Option(
      names = "--log-dir",
      defaultValue = "${env:OSSFUSE_LOG_DIR:-" + DaemonConfig.DEFAULT_LOG_DIR_PATH + "}",
      paramLabel = "DIR",
      description =
          "One log file per mount with its child's output; above 16 MiB it is rotated, 3 old copies "
              + "kept (default: ${DEFAULT-VALUE}; env OSSFUSE_LOG_DIR).")
  Path logDir;

  @Option(
      names = "--child-heap",
      defaultValue = "512m",
      paramLabel = "SIZE",
      description = "-Xmx of each FUSE child JVM (default: ${DEFAULT-VALUE}).")
  String childHeap;

  /** A daemon configuration with these options and {@code stateFile}; the caller adds its own. */
  DaemonConfig.Builder config(Path stateFile) {
    return DaemonConfig.builder()
        .socket(socket)
        .stateFile(stateFile)
        .allowedRoot(allowedRoot)
        .logDir(logDir)
        .childMaxHeap(childHeap);
  }
}
