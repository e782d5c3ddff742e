package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PidFdTest {
  @TempDir Path dir;

  @Test
  void takesAChildsStdinAsOwnFd() throws Exception {
    Path f = Files.writeString(dir.resolve("in.txt"), "fd-payload");
    Process p = new ProcessBuilder("sleep", "30").redirectInput(f.toFile()).start();
    try {
      int fd = PidFd.take(p.pid(), 0);
      try {
        assertTrue(fd > 2);
        Path link = Path.of("/proc/self/fd/" + fd);
        assertEquals(f.toRealPath(), Files.readSymbolicLink(link));
      } finally {
        PidFd.close(fd);
      }
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
  }
}
