package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL a process in the middle of assigning, forgetting and compacting; a new process over the
 * same state dir must map every number the dead one handed out (and did not forget) to its path.
 */
class InodeTableKillTest {
  @TempDir Path dir;

  /** The victim: hands out numbers forever, printing each after the table returned it. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      try (InodeTable t = InodeTable.persistent(Path.of(args[0]), 10_000)) {
        for (long i = 0; ; i++) {
          String p = "dir" + (i % 97) + "/file " + i + " ü";
          long ino = t.lookup(p);
          System.out.println("A " + ino + " " + p);
          if (i % 3 == 0) {
            // Announced before it happens: a kill between the two must not make an
            // entry forgotten on disk look lost to the parent.
            System.out.println("F " + ino);
            t.forget(ino, 1);
          }
        }
      }
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void aKilledProcessLosesNothingItHandedOut() throws Exception {
    for (int round = 0; round < 2; round++) {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p =
          new ProcessBuilder(
                  java,
                  "-cp",
                  System.getProperty("java.class.path"),
                  Child.class.getName(),
                  dir.toString())
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      Map<Long, String> live = new HashMap<>();
      Set<Long> forgotten = new HashSet<>();
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        int n = 0;
        while ((line = r.readLine()) != null) {
          String[] f = line.split(" ", 3);
          long ino = Long.parseLong(f[1]);
          if (f[0].equals("A")) {
            live.put(ino, f[2]);
          } else {
            live.remove(ino);
            forgotten.add(ino);
          }
          if (++n == 25_000 + round * 7_919) {
            new ProcessBuilder("kill", "-KILL", String.valueOf(p.pid())).start().waitFor();
          }
        }
      } finally {
        p.destroyForcibly();
        p.waitFor();
      }
      try (InodeTable t = InodeTable.persistent(dir, 10_000)) {
        for (var e : live.entrySet()) {
          if (e.getKey() > 1 && t.path(e.getKey()).isPresent()) {
            assertEquals(e.getValue(), t.path(e.getKey()).get(), "inode " + e.getKey());
          } else if (!e.getValue().isEmpty()) {
            // Loaded entries from an earlier round may have been dropped only by a forget.
            fail("inode " + e.getKey() + " (" + e.getValue() + ") lost after SIGKILL");
          }
        }
        for (long f : forgotten) {
          assertTrue(t.path(f).isEmpty() || !live.containsKey(f), "forgotten " + f);
        }
      }
    }
  }
}
