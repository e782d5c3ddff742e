package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first sure sign that a child is dying, well before its exit status: a JVM killed with SIGKILL
 * has every thread out of user space within a millisecond or two, but its last thread then tears
 * down the address space, and {@code waitpid} (so {@code Process.onExit}) reports the death only
 * after that: 50-300 ms later on a loaded node, all of it added to the takeover's stall.
 *
 * <p>A {@code pidfd} of one of the child's long-lived threads ({@code PIDFD_THREAD}, Linux 6.9+)
 * polls readable when that thread has exited. Then the child is dying only if every thread left has
 * {@code PF_EXITING} set: no thread can be in a read or write of {@code /dev/fuse} any more (one in
 * such a call has not reached its exit yet), so a standby may take the requests over. A thread that
 * ended on its own (never one of the JVM's own threads watched here) is not taken for a death.
 * Without {@code PIDFD_THREAD} there is no early sign: the exit status remains the only one.
 */
final class DeathSign {
  private static final Logger log = LoggerFactory.getLogger(DeathSign.class);

  /** pidfd_open flag: the pidfd refers to this thread, not to the thread group (= O_EXCL). */
  private static final long PIDFD_THREAD = 0x80;

  private static final long SYS_PIDFD_OPEN = 434;
  private static final int PF_EXITING = 0x4;
  private static final short POLLIN = 1;

  /**
   * Threads every HotSpot JVM keeps for its whole life (the kernel cuts names at 15 characters).
   */
  private static final List<String> LIFELONG =
      List.of("VM Thread", "Reference Handl", "Signal Dispatch", "Finalizer");

  private static final int WATCHED = 2;

  /** A child just started has no JVM threads yet: looked for again this often. */
  private static final long FIND_RETRY_MS = 100;

  /** A child whose JVM threads are not there by then (another JVM, a wrapper) is not watched. */
  private static final long FIND_FOR_MS = 120_000;

  /** After a watched thread's exit, how long the other threads may take to be all exiting. */
  private static final long CONFIRM_MS = 200;

  private static volatile boolean unsupported;

  private DeathSign() {}

  /**
   * Completes {@code dying} when process {@code pid} is surely dying (or gone); never completes it
   * without the kernel support. Watches on a daemon thread that ends with the process.
   */
  static void watch(long pid, CompletableFuture<Void> dying) {
    if (unsupported) return;
    Thread t = new Thread(() -> run(pid, dying), "death-sign-" + pid);
    t.setDaemon(true);
    t.start();
  }

  private static void run(long pid, CompletableFuture<Void> dying) {
    long giveUp = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FIND_FOR_MS);
    try {
      while (!dying.isDone()) {
        List<Integer> fds = openWatched(pid);
        if (fds == null)
          return; // no kernel support, or the process is gone (its exit status says so)
        if (fds.isEmpty()) {
          if (System.nanoTime() > giveUp) {
            log.debug(
                "no lifelong JVM thread found in child {}: its death is seen at its exit status",
                pid);
            return;
          }
          TimeUnit.MILLISECONDS.sleep(FIND_RETRY_MS);
          continue;
        }
        try {
          if (awaitAnyExit(fds) && confirmed(pid)) {
            dying.complete(null);
            return;
          }
        } finally {
          for (int fd : fds) PidFd.c().close(fd);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException | LinkageError e) {
      log.debug("no early death sign for child {}: {}", pid, e.toString());
    }
  }

  /**
   * pidfds of up to {@link #WATCHED} lifelong threads; empty if none is there yet; null to give up.
   */
  private static List<Integer> openWatched(long pid) {
    List<Integer> fds = new ArrayList<>();
    try (DirectoryStream<Path> tasks =
        Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks) {
        if (fds.size() >= WATCHED) break;
        long tid = Long.parseLong(t.getFileName().toString());
        if (tid == pid || !LIFELONG.contains(comm(t))) continue;
        int fd = (int) PidFd.c().syscall(SYS_PIDFD_OPEN, tid, PIDFD_THREAD, 0);
        if (fd >= 0) {
          fds.add(fd);
        } else if (PidFd.errno() == 22) { // EINVAL: a kernel before 6.9
          unsupported = true;
          for (int open : fds) PidFd.c().close(open);
          log.info(
              "no PIDFD_THREAD in this kernel: a child's death is seen at its exit status only");
          return null;
        }
      }
    } catch (NoSuchFileException gone) {
      return null;
    } catch (IOException e) {
      return null;
    }
    return fds;
  }

  private static String comm(Path task) {
    try {
      return Files.readString(task.resolve("comm")).strip();
    } catch (IOException e) {
      return "";
    }
  }

  /** Blocks until one of {@code fds} polls readable (its thread exited); false on a poll error. */
  private static boolean awaitAnyExit(List<Integer> fds) {
    int[] pfd = new int[2 * fds.size()];
    for (int i = 0; i < fds.size(); i++) {
      pfd[2 * i] = fds.get(i);
      pfd[2 * i + 1] = POLLIN;
    }
    while (true) {
      int n = PidFd.c().poll(pfd, fds.size(), -1);
      if (n > 0) return true;
      if (n < 0 && PidFd.errno() != 4) return false; // EINTR: again
    }
  }

  /**
   * Every thread left is exiting (or the process is gone), checked for up to {@link #CONFIRM_MS}.
   */
  private static boolean confirmed(long pid) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CONFIRM_MS);
    do {
      if (allExiting(pid)) return true;
      TimeUnit.MILLISECONDS.sleep(2);
    } while (System.nanoTime() < end);
    return false;
  }

  static boolean allExiting(long pid) {
    try (DirectoryStream<Path> tasks =
        Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks) {
        String stat;
        try {
          stat = Files.readString(t.resolve("stat"));
        } catch (NoSuchFileException threadGone) {
          continue;
        }
        // "tid (comm) state ppid pgrp session tty tpgid flags ...": comm may hold spaces and parens
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        char state = f[0].charAt(0);
        long flags = Long.parseLong(f[6]);
        if (state != 'Z' && state != 'X' && (flags & PF_EXITING) == 0) return false;
      }
      return true;
    } catch (NoSuchFileException gone) {
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
