package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a short external command with a hard timeout. Anything that touches a FUSE path the daemon
 * does not trust (stat of a mount that may hang, umount) goes through here, so a hung FUSE request
 * blocks a throw-away subprocess and never a daemon thread for longer than the timeout.
 */
final class Exec {
  record Result(int exitCode, String output, boolean timedOut) {
    boolean ok() {
      return !timedOut && exitCode == 0;
    }

    String describe() {
      if (timedOut) return "timed out";
      String out = output.strip();
      return "exit " + exitCode + (out.isEmpty() ? "" : ": " + firstLine(out));
    }

    private static String firstLine(String s) {
      int nl = s.indexOf('\n');
      return nl < 0 ? s : s.substring(0, nl);
    }
  }

  private Exec() {}

  /** Output is expected to be small (well under a pipe buffer); a chatty command would time out. */
  static Result run(List<String> command, Duration timeout) {
    Process p;
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      pb.environment().put("LC_ALL", "C"); // messages are matched ("No such file")
      p = pb.start();
    } catch (IOException e) {
      return new Result(127, command.get(0) + ": " + e.getMessage(), false);
    }
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        // SIGKILL ends a task waiting on a FUSE request too; we do not wait for it to be reaped.
        p.destroyForcibly();
        return new Result(-1, "", true);
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new Result(p.exitValue(), out, false);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      return new Result(-1, "", true);
    } catch (IOException e) {
      return new Result(p.exitValue(), "", false);
    }
  }
}
