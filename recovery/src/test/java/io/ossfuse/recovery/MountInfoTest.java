package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoTest {
  private static final List<String> LINES = List.of(
      "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
      "44 27 0:41 / /tmp/my\\040mnt rw,nosuid,nodev,relatime shared:7 - fuse /tmp/src rw,user_id=0",
      "45 27 0:41 /data /pods/p2/vol ro,nosuid,nodev,relatime - fuse /tmp/src rw,user_id=0",
      "46 27 0:52 / /pods/p2/vol ro,relatime - fuse.ossfuse oss://b/d rw",
      "47 27 0:53 / /x rw - tmpfs tmpfs rw");

  @Test
  void parsesFieldsAfterOptionalTagsAndUnescapesOctal() {
    MountInfo mi = MountInfo.parse(LINES);
    MountInfo.Entry e = mi.top(Path.of("/tmp/my mnt")).orElseThrow();
    assertEquals(44, e.id());
    assertEquals("0:41", e.device());
    assertEquals(41, e.minor());
    assertEquals("fuse", e.fsType());
    assertEquals("/tmp/src", e.source());
    assertTrue(e.isFuse());
  }

  @Test
  void topIsTheLastMountStackedOnAPath() {
    MountInfo mi = MountInfo.parse(LINES);
    MountInfo.Entry top = mi.top(Path.of("/pods/p2/vol")).orElseThrow();
    assertEquals(46, top.id());
    assertEquals("fuse.ossfuse", top.fsType());
    assertTrue(top.isFuse());
    assertFalse(mi.top(Path.of("/x")).orElseThrow().isFuse());
    assertTrue(mi.top(Path.of("/nothing")).isEmpty());
  }

  @Test
  void bindMatchesOnlyTheLiveConnectionAndSubdir() {
    MountInfo mi = MountInfo.parse(LINES);
    MountInfo.Entry live = mi.top(Path.of("/tmp/my mnt")).orElseThrow();
    MountInfo.Entry bindOfData = mi.entries().get(2);
    assertTrue(TargetBinder.matches(bindOfData, new BindTarget("/pods/p2/vol", "data"), live));
    assertFalse(TargetBinder.matches(bindOfData, new BindTarget("/pods/p2/vol", ""), live));
    assertFalse(TargetBinder.matches(mi.entries().get(3), new BindTarget("/pods/p2/vol", ""), live),
        "a bind of another (dead) connection does not match the live one");
  }

  @Test
  void unescapeLeavesPlainBackslashes() {
    assertEquals("a\\b", MountInfo.unescape("a\\b"));
    assertEquals("tab\there", MountInfo.unescape("tab\\011here"));
    assertEquals("back\\slash", MountInfo.unescape("back\\134slash"));
  }
}
