package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A re-attach that finds no live mount to attach to is not forgotten. */
class MountTargetsTest {
  @TempDir Path base;

  private MountTargets targets(List<BindTarget> list) throws Exception {
    Path mnt = Files.createDirectories(base.resolve("mnt")); // a plain directory: no FUSE mount
    MountSpec spec =
        new MountSpec(base.toString(), mnt.toString(), null, MountSpec.DRIVER_BINDFS, null);
    DaemonConfig config =
        DaemonConfig.builder()
            .socket(base.resolve("run/ossfuse.sock"))
            .stateFile(base.resolve("state/state.json"))
            .allowedRoot(base.resolve("pods"))
            .logDir(base.resolve("logs"))
            .build();
    MountOps ops = new MountOps(Duration.ofSeconds(2));
    return new MountTargets(
        spec, list, ops, new TargetBinder(ops, new TargetPaths(base.resolve("pods"))), config);
  }

  @Test
  void targetsLeftWithoutALiveMountAreDueAgain() throws Exception {
    MountTargets t = targets(List.of(new BindTarget(base.resolve("pods/p1/vol").toString(), "")));
    MountTargets.Reattached r = t.reattachAll();
    assertEquals(new MountTargets.Reattached(0, 0, 0, 1), r);
    assertEquals(", 1 due at the next probe", r.rest());
    assertTrue(t.pending(), "the next healthy probe re-attaches them");
    assertEquals(1, t.list().size(), "kept, not dropped");
  }

  @Test
  void noTargetsNothingDue() throws Exception {
    MountTargets t = targets(List.of());
    t.reattachAll();
    assertFalse(t.pending());
  }
}
