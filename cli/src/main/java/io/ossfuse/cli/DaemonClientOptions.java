package io.ossfuse.cli;

import io.ossfuse.recovery.ControlClient;
import io.ossfuse.recovery.ControlRequest;
import io.ossfuse.recovery.ControlResponse;
import io.ossfuse.recovery.DaemonConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The {@code --socket} option shared by the commands that talk to the daemon, and the call itself.
 */
final class DaemonClientOptions {
  static final String SOCKET_DEFAULT =
      "${env:OSSFUSE_SOCKET:-" + DaemonConfig.DEFAULT_SOCKET_PATH + "}";

  @Option(
      names = "--socket",
      defaultValue = SOCKET_DEFAULT,
      paramLabel = "PATH",
      description =
          "Control socket of the ossfuse daemon (default: ${DEFAULT-VALUE}; env OSSFUSE_SOCKET).")
  Path socket;

  /** Sends {@code req}; prints a one-line error to {@code err} and returns null on failure. */
  ControlResponse call(ControlRequest req, PrintWriter err) {
    try {
      ControlResponse r = new ControlClient(socket).send(req);
      if (!r.ok()) {
        err.println("ossfuse: " + r.error());
        return null;
      }
      return r;
    } catch (IOException e) {
      err.println("ossfuse: " + e.getMessage());
      return null;
    }
  }

  /**
   * Sends {@code req} and prints the daemon's one-line answer: exit code 0, or 1 after an error
   * line.
   */
  int callAndPrint(ControlRequest req, CommandSpec spec) {
    ControlResponse r = call(req, spec.commandLine().getErr());
    if (r == null) return 1;
    spec.commandLine().getOut().println(r.message());
    return 0;
  }
}
