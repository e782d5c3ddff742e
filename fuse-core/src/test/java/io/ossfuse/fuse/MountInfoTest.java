package io.ossfuse.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The one mountinfo parser, as used by the transports, FuseDevice (connection id) and the recovery
 * daemon.
 */
class MountInfoTest {
  // -- as used by the transports and MountFactory (find, isFuse, source) --

  @Test
  void parsesEscapedMountPointsAndFuseTypes() {
    List<MountInfo.Entry> es =
        MountInfo.parse(
                List.of(
                    "36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - fuse.ossfuse ossfuse:b/d ro,user_id=0",
                    "37 35 98:0 / /mnt/\\303\\274 rw shared:2 - ext3 /dev/root rw",
                    "garbage"))
            .entries();
    assertEquals(2, es.size());
    assertEquals("/mnt/with space", es.get(0).mountPoint());
    assertEquals("fuse.ossfuse", es.get(0).fsType());
    assertEquals("ossfuse:b/d", es.get(0).source());
    assertTrue(es.get(0).isFuse());
    assertEquals("/mnt/ü", es.get(1).mountPoint());
    assertFalse(es.get(1).isFuse());
  }

  @Test
  void keepsOptionsAndOptionalFields() {
    MountInfo.Entry e =
        MountInfo.parse(
                List.of("36 35 98:0 /mnt1 /m rw,noatime master:1 shared:4 - fuse.ossfuse x ro"))
            .entries()
            .get(0);
    assertEquals(36, e.mountId());
    assertEquals(35, e.parentId());
    assertEquals("/mnt1", e.root());
    assertEquals("rw,noatime", e.options());
    assertEquals(List.of("master:1", "shared:4"), e.optionalFields());
  }

  @Test
  void unescapeKeepsUnescapedNonAsciiCharacters() {
    // the kernel escapes only space, tab, newline and backslash; other bytes arrive raw (decoded as
    // UTF-8)
    assertEquals("/mnt/ü dir", MountInfo.unescape("/mnt/ü\\040dir"));
  }

  // -- as used by FuseDevice: the connection id of the last FUSE mount on a path --

  static final List<String> DEV_LINES =
      List.of(
          "22 1 252:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
          "40 22 0:38 / /sys/fs/fuse/connections rw,relatime shared:20 - fusectl none rw",
          "51 22 0:45 / /mnt/data rw,nosuid shared:30 - fuse.ossfuse ossfuse:b/d ro,user_id=0,group_id=0",
          "52 22 0:46 / /mnt/with\\040space ro master:4 - fuse.ossfuse x ro",
          "53 51 0:47 / /mnt/data ro - fuse.ossfuse ossfuse:b/d ro");

  @Test
  void findsTheTopmostFuseMountAndItsConnection() {
    MountInfo mi = MountInfo.parse(DEV_LINES);
    assertEquals(OptionalInt.of(47), mi.fuseMinor(Path.of("/mnt/data")));
    assertEquals(OptionalInt.of(46), mi.fuseMinor(Path.of("/mnt/with space")));
    assertEquals(OptionalInt.empty(), mi.fuseMinor(Path.of("/")));
  }

  @Test
  void atListsEveryStackedMountBottomFirst() {
    MountInfo mi = MountInfo.parse(DEV_LINES);
    assertEquals(
        List.of(51, 53),
        mi.at(Path.of("/mnt/data")).stream().map(MountInfo.Entry::mountId).toList());
    assertTrue(mi.at(Path.of("/nothing")).isEmpty());
  }

  // -- as used by the recovery daemon (top, minor, binds) --

  private static final List<String> LINES =
      List.of(
          "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
          "44 27 0:41 / /tmp/my\\040mnt rw,nosuid,nodev,relatime shared:7 - fuse /tmp/src rw,user_id=0",
          "45 27 0:41 /data /pods/p2/vol ro,nosuid,nodev,relatime - fuse /tmp/src rw,user_id=0",
          "46 27 0:52 / /pods/p2/vol ro,relatime - fuse.ossfuse oss://b/d rw",
          "47 27 0:53 / /x rw - tmpfs tmpfs rw");

  @Test
  void parsesFieldsAfterOptionalTagsAndUnescapesOctal() {
    MountInfo mi = MountInfo.parse(LINES);
    MountInfo.Entry e = mi.top(Path.of("/tmp/my mnt")).orElseThrow();
    assertEquals(44, e.mountId());
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
    assertEquals(46, top.mountId());
    assertEquals("fuse.ossfuse", top.fsType());
    assertTrue(top.isFuse());
    assertFalse(mi.top(Path.of("/x")).orElseThrow().isFuse());
    assertTrue(mi.top(Path.of("/nothing")).isEmpty());
  }

  @Test
  void bindLayersKeepTheirRootAndConnection() {
    // what TargetBinder.matches compares (its own test is in recovery: TargetBinderTest)
    MountInfo.Entry bind = MountInfo.parse(LINES).entries().get(2);
    assertEquals("/data", bind.root());
    assertEquals("0:41", bind.device());
  }

  @Test
  void unescapeLeavesPlainBackslashes() {
    assertEquals("a\\b", MountInfo.unescape("a\\b"));
    assertEquals("tab\there", MountInfo.unescape("tab\\011here"));
    assertEquals("back\\slash", MountInfo.unescape("back\\134slash"));
  }

  @Test
  void readsThisProcessesMounts() throws Exception {
    MountInfo mi = MountInfo.read();
    assertTrue(mi.top(Path.of("/")).isPresent(), "/ is always mounted");
    assertTrue(MountInfo.isMounted(Path.of("/")));
  }
}
