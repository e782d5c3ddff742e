package io.ossfuse.packaging;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a host command to completion with a timeout; output is stdout and stderr together. */
record Cmd(int exit, String output) {

  static Cmd run(List<String> command) {
    return run(command, Map.of(), 60);
  }

  static Cmd run(List<String> command, Map<String, String> env, int timeoutSeconds) {
    Path out = null;
    Process p = null;
    try {
      out = Files.createTempFile("ossfuse-cmd", ".out");
      ProcessBuilder pb =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().putAll(env);
      p = pb.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s");
      }
      return new Cmd(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError(command + " could not run: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(command + " interrupted", e);
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
      }
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // a temp file; nothing else to do
        }
      }
    }
  }

  Cmd expectSuccess() {
    if (exit != 0) {
      throw new AssertionError("exit " + exit + ": " + output);
    }
    return this;
  }
}
