package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fuse.MountInfo;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class TargetBinderTest {
  private static final List<String> LINES =
      List.of(
          "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
          "44 27 0:41 / /tmp/my\\040mnt rw,nosuid,nodev,relatime shared:7 - fuse /tmp/src rw,user_id=0",
          "45 27 0:41 /data /pods/p2/vol ro,nosuid,nodev,relatime - fuse /tmp/src rw,user_id=0",
          "46 27 0:52 / /pods/p2/vol ro,relatime - fuse.ossfuse oss://b/d rw",
          "47 27 0:53 / /x rw - tmpfs tmpfs rw");

  @Test
  void bindMatchesOnlyTheLiveConnectionAndSubdir() {
    MountInfo mi = MountInfo.parse(LINES);
    MountInfo.Entry live = mi.top(Path.of("/tmp/my mnt")).orElseThrow();
    MountInfo.Entry bindOfData = mi.entries().get(2);
    assertTrue(TargetBinder.matches(bindOfData, new BindTarget("/pods/p2/vol", "data"), live));
    assertFalse(TargetBinder.matches(bindOfData, new BindTarget("/pods/p2/vol", ""), live));
    assertFalse(
        TargetBinder.matches(mi.entries().get(3), new BindTarget("/pods/p2/vol", ""), live),
        "a bind of another (dead) connection does not match the live one");
  }
}
