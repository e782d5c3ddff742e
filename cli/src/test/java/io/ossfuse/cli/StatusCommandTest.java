package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.recovery.MountState;
import io.ossfuse.recovery.MountStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusCommandTest {
  @Test
  void adoptedTargetsAreShownAsAdopted() {
    MountStatus m =
        new MountStatus(
            "oss://b/d",
            "/runtime-mnt/thin/default/ds/thin-fuse",
            "raw",
            "ossfuse",
            MountState.HEALTHY,
            12L,
            null,
            null,
            1000,
            0,
            null,
            null,
            null,
            List.of(
                new MountStatus.TargetStatus("/pods/a/vol", "", true, false),
                new MountStatus.TargetStatus("/pods/b/vol", "sub", false, true)),
            null);
    String table = StatusCommand.table(List.of(m));
    assertTrue(table.contains("    -> /pods/a/vol  healthy\n"), table);
    assertTrue(table.contains("    -> /pods/b/vol  (subPath sub)  adopted  NOT HEALTHY\n"), table);
  }
}
