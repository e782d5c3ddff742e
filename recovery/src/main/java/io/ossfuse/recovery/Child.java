package io.ossfuse.recovery;

import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A serving process: one the daemon started (exit status known) or one it adopted after its own
 * restart (only liveness known). Killed by pid, never by name.
 */
final class Child {
  private final ProcessHandle handle;
  private final Process process;
  private final Instant startedAt;
  private CompletableFuture<Void> dying;

  /** The exit, once what the child left in memory (a standby's warm-up dir) is removed. */
  private final CompletableFuture<?> exited;

  /** Set before the daemon signals this child, so its death is not taken for an outside kill. */
  private volatile boolean signalledByDaemon;

  private Child(ProcessHandle handle, Process process) {
    this.handle = handle;
    this.process = process;
    this.startedAt = handle.info().startInstant().orElse(Instant.now());
    long pid = handle.pid();
    CompletableFuture<?> exit = process != null ? process.onExit() : handle.onExit();
    this.exited = exit.whenComplete((v, e) -> WarmUpDir.removeOf(pid));
  }

  static Child started(Process p) {
    return new Child(p.toHandle(), p);
  }

  /** Adopts {@code pid} only if it is alive and is the same process that was recorded. */
  static Optional<Child> adopt(long pid, String recordedStart) {
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(
            h -> {
              Optional<Instant> start = h.info().startInstant();
              return start.isPresent()
                  && recordedStart != null
                  && start.get().toString().equals(recordedStart);
            })
        .map(h -> new Child(h, null));
  }

  long pid() {
    return handle.pid();
  }

  String startInstant() {
    return startedAt.toString();
  }

  boolean adopted() {
    return process == null;
  }

  /**
   * Running: not gone, and not a zombie (an adopted child's new parent may reap it late or never).
   */
  boolean isAlive() {
    return handle.isAlive() && !zombie(pid());
  }

  private static boolean zombie(long pid) {
    try {
      String stat =
          java.nio.file.Files.readString(
              java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
      int close = stat.lastIndexOf(')');
      return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
    } catch (java.io.IOException | RuntimeException e) {
      return false; // gone meanwhile: handle.isAlive() says so next time
    }
  }

  CompletableFuture<?> onExit() {
    return exited;
  }

  /**
   * Completes at the first sure sign of this child's death ({@link DeathSign}), at the latest with
   * {@link #onExit()}: its exit status may come hundreds of milliseconds after its last request.
   */
  synchronized CompletableFuture<Void> dying() {
    if (dying == null) {
      dying = new CompletableFuture<>();
      onExit().whenComplete((v, e) -> dying.complete(null));
      DeathSign.watch(pid(), dying);
    }
    return dying;
  }

  void kill() {
    signalledByDaemon = true;
    handle.destroyForcibly();
  }

  /**
   * SIGKILL if alive, then waits for the exit up to {@code seconds}; false if it is still there.
   */
  boolean killAndWait(long seconds) {
    if (!isAlive()) return true;
    kill();
    try {
      onExit().get(seconds, java.util.concurrent.TimeUnit.SECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return !isAlive();
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    }
  }

  void terminate() {
    signalledByDaemon = true;
    handle.destroy();
  }

  /**
   * Died of a SIGKILL the daemon did not send: the OOM killer, an operator, a test. Such a death
   * says nothing about the child's configuration, unlike an exit of its own.
   */
  boolean killedFromOutside() {
    return process != null
        && !process.isAlive()
        && !signalledByDaemon
        && process.exitValue() == 128 + 9;
  }

  /** "exit 1", "SIGKILL", "SIGSEGV"...: the JDK reports death by signal N as exit 128+N. */
  String exitReason() {
    if (process == null) return "exited (adopted child, status unknown)";
    int code = process.exitValue();
    if (code > 128 && code < 128 + 65) return signalName(code - 128);
    return "exit " + code;
  }

  static String signalName(int sig) {
    return switch (sig) {
      case 1 -> "SIGHUP";
      case 2 -> "SIGINT";
      case 3 -> "SIGQUIT";
      case 4 -> "SIGILL";
      case 6 -> "SIGABRT";
      case 7 -> "SIGBUS";
      case 9 -> "SIGKILL";
      case 11 -> "SIGSEGV";
      case 13 -> "SIGPIPE";
      case 15 -> "SIGTERM";
      default -> "signal " + sig;
    };
  }
}
