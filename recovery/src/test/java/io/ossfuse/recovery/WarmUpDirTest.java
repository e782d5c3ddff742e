package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A standby killed during its warm-up leaves no memory behind once the daemon sees it exit. */
class WarmUpDirTest {
  @Test
  void theWarmUpDirOfAKilledChildIsRemovedWhenItsExitIsSeen() throws Exception {
    Process p = new ProcessBuilder("sleep", "600").start();
    try {
      Child c = Child.started(p);
      Path d = Files.createDirectories(WarmUpDir.of(c.pid()).resolve("cache/ossfuse.blocks"));
      Files.writeString(d.resolve("block"), "bytes a killed standby left");
      assertTrue(c.killAndWait(10), "sleep ended by SIGKILL");
      c.onExit().get(10, TimeUnit.SECONDS);
      assertFalse(Files.exists(WarmUpDir.of(c.pid())), "warm-up dir of the dead child");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void theDirsOfDeadProcessesGoAndThoseOfLiveOnesStay() throws Exception {
    Process dead = new ProcessBuilder("true").start();
    dead.waitFor(10, TimeUnit.SECONDS);
    Path left = Files.createDirectories(WarmUpDir.of(dead.pid()));
    Path mine = Files.createDirectories(WarmUpDir.of(ProcessHandle.current().pid()));
    try {
      WarmUpDir.removeOfDead();
      assertFalse(Files.exists(left), "dir of a process that is gone");
      assertTrue(Files.exists(mine), "dir of a live process");
    } finally {
      WarmUpDir.deleteTree(mine);
      if (Files.exists(left)) WarmUpDir.deleteTree(left);
    }
  }
}
