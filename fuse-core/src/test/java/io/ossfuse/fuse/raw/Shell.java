package io.ossfuse.fuse.raw;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command (no shell unless asked) with a hard timeout; the child is killed by PID on
 * timeout.
 */
final class Shell {
  record Result(int rc, String out, String err, long millis) {
    boolean ok() {
      return rc == 0;
    }

    @Override
    public String toString() {
      return "rc=" + rc + " out=" + out.strip() + " err=" + err.strip() + " (" + millis + " ms)";
    }
  }

  private Shell() {}

  static Result run(long timeoutMs, String... cmd) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(List.of(cmd)).start();
    p.getOutputStream().close();
    // Small outputs only: read after exit is fine for the commands used here, but drain stdout
    // concurrently anyway so a chatty command cannot block on a full pipe.
    var outF =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    var errF =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
      return new Result(
          -999,
          outF.getNow(""),
          "TIMEOUT after " + timeoutMs + " ms: " + String.join(" ", cmd),
          (System.nanoTime() - t0) / 1_000_000);
    }
    return new Result(
        p.exitValue(), outF.join(), errF.join(), (System.nanoTime() - t0) / 1_000_000);
  }

  static Result sh(long timeoutMs, String script) throws IOException, InterruptedException {
    return run(timeoutMs, "bash", "-c", script);
  }

  private static String readAll(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
