package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On real JVM children: the sign comes for a SIGKILL, not for a thread of the child that ends. */
final class DeathSignTest {
  @TempDir Path dir;

  /** A JVM that starts and ends threads of its own, and says when it is up. */
  private Process jvm() throws Exception {
    Path src =
        Files.writeString(
            dir.resolve("Busy.java"),
            """
        public class Busy {
          public static void main(String[] a) throws Exception {
            System.out.println("up");
            System.out.flush();
            while (true) {
              Thread t = new Thread(() -> {});
              t.start();
              t.join();
              Thread.sleep(5);
            }
          }
        }
        """);
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), src.toString())
            .redirectErrorStream(true)
            .start();
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    assertTrue("up".equals(r.readLine()), "the child JVM started");
    return p;
  }

  @Test
  void aSigkilledJvmIsSeenDyingWithoutItsExitStatus() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux /proc");
    Process p = jvm();
    try {
      CompletableFuture<Void> dying = new CompletableFuture<>();
      DeathSign.watch(p.pid(), dying);
      // threads of its own keep ending meanwhile: none of them is taken for a death
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
      while (System.nanoTime() < end) {
        assertFalse(dying.isDone(), "no sign while the child lives");
        Thread.sleep(20); // watching for a false sign over a while, not synchronising
      }
      p.destroyForcibly();
      dying.get(30, TimeUnit.SECONDS); // completed by DeathSign alone: nothing else completes it
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
  }

  @Test
  void aLiveProcessIsNotAllExiting() throws Exception {
    assertFalse(DeathSign.allExiting(ProcessHandle.current().pid()));
    assertTrue(DeathSign.allExiting(Long.MAX_VALUE / 2), "a process that is gone is");
  }
}
