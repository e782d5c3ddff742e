package io.ossfuse.recovery;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * How a mount's FUSE child is started: its command line, the spec file it reads (0600), its log
 * (rotated when large, 0640) and its environment. Used for the active child, standbys and the
 * class-archive training child alike.
 */
final class ChildLauncher {
  private final MountSpec spec;
  private final DaemonConfig config;
  private final ChildCommand command;

  ChildLauncher(MountSpec spec, DaemonConfig config, ChildCommand command) {
    this.spec = spec;
    this.config = config;
    this.command = command;
  }

  /** Where the children of this mount write their output. */
  File logFile() {
    return config.logDir().resolve(spec.id() + ".log").toFile();
  }

  /** Rotates the log when it is large (the periodic probe calls this). */
  void rotateLog() {
    ChildLog.rotateIfLarge(logFile().toPath());
  }

  ProcessBuilder process() throws IOException {
    return process(List.of());
  }

  /**
   * The child's command line, with the spec written where it reads it and output to the mount's
   * log.
   */
  ProcessBuilder process(List<String> jvmOptions) throws IOException {
    Path specFile = config.specDir().resolve(spec.id() + ".json");
    FileModes.writePrivate(specFile, Json.mapper().writeValueAsBytes(spec));
    FileModes.createDirs(config.logDir(), FileModes.LOG_DIR);
    rotateLog();
    FileModes.ensureFile(logFile().toPath(), FileModes.LOG_FILE);
    ProcessBuilder pb =
        new ProcessBuilder(command.command(spec, specFile, jvmOptions))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().putAll(command.environment());
    // systemd's hand-over of stored fds is meant for the daemon only.
    pb.environment().keySet().removeAll(List.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"));
    return pb;
  }
}
