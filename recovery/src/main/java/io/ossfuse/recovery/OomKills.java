package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How many processes of this daemon's cgroup (its children are in it too) the kernel's OOM killer
 * has killed: {@code oom_kill} of the cgroup v2 {@code memory.events}. 0 where that is not readable
 * (cgroup v1, no memory controller): every SIGKILL then counts as a kill from outside.
 */
final class OomKills {
  private OomKills() {}

  static long count() {
    try {
      String cg = null;
      for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
        if (line.startsWith("0::")) cg = line.substring(3);
      }
      if (cg == null) return 0;
      Path events =
          Path.of("/sys/fs/cgroup", cg.startsWith("/") ? cg.substring(1) : cg, "memory.events");
      for (String line : Files.readAllLines(events)) {
        if (line.startsWith("oom_kill ")) return Long.parseLong(line.substring(9).strip());
      }
    } catch (IOException | RuntimeException e) {
      // not readable here: no OOM kill can be told apart
    }
    return 0;
  }
}
