package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.ossfuse.fuse.MountInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which mounts the adopter takes and forgets, from mountinfo alone (the mount operations:
 * BindAdoptionTest).
 */
class BindAdopterTest {
  private static final Path MNT = Path.of("/mnt/ds");
  private static final List<String> LINES =
      List.of(
          "27 1 254:0 / / rw - ext4 /dev/vda rw",
          "44 27 0:41 / /mnt/ds ro shared:7 - fuse.ossfuse oss://b/d ro",
          "45 27 0:41 / /pods/a/vol ro shared:7 - fuse.ossfuse oss://b/d ro",
          "46 27 0:41 /sub/dir /pods/b/vol ro shared:7 - fuse.ossfuse oss://b/d ro",
          // a copy that propagation made inside a bind: not a pod's bind
          "47 45 0:41 /sub/dir /pods/a/vol/sub/dir ro shared:7 - fuse.ossfuse oss://b/d ro",
          "48 27 0:41 / /elsewhere/vol ro - fuse.ossfuse oss://b/d ro",
          "49 27 0:52 / /pods/c/vol ro - fuse.ossfuse oss://other ro",
          "50 27 0:41 / /pods/d/vol ro - fuse.ossfuse oss://b/d ro",
          "51 27 0:53 / /pods/d/vol rw - tmpfs tmpfs rw",
          "52 27 0:40 / /pods/e/vol ro - fuse.ossfuse oss://b/d ro");

  private final BindAdopter adopter;
  private final MountInfo mi = MountInfo.parse(LINES);
  private final MountInfo.Entry live = mi.top(MNT).orElseThrow();

  BindAdopterTest() throws Exception {
    adopter =
        new BindAdopter(new MountOps(Duration.ofSeconds(1)), new TargetPaths(Path.of("/pods")));
  }

  @Test
  void adoptsVisibleBindsOfTheLiveConnectionUnderTheRootWithTheirSubPath() {
    List<BindTarget> out = adopter.reconcile(MNT, live, mi, List.of(), false);
    assertEquals(
        List.of(
            new BindTarget("/pods/a/vol", "", true),
            new BindTarget("/pods/b/vol", "sub/dir", true)),
        out);
  }

  @Test
  void aKnownTargetIsNotAdoptedAgainAndNothingChangedIsTheSameList() {
    List<BindTarget> known =
        List.of(new BindTarget("/pods/a/vol", ""), new BindTarget("/pods/b/vol", "sub/dir", true));
    assertSame(known, adopter.reconcile(MNT, live, mi, known, false));
  }

  @Test
  void anAdoptedTargetWithoutALiveLayerIsForgottenUnlessAReattachIsDue() {
    // /pods/e/vol holds only a dead bind of an earlier connection; /pods/f/vol nothing at all
    List<BindTarget> targets =
        List.of(
            new BindTarget("/pods/a/vol", "", true),
            new BindTarget("/pods/b/vol", "sub/dir", true),
            new BindTarget("/pods/e/vol", "", true),
            new BindTarget("/pods/f/vol", "", true),
            new BindTarget("/pods/g/vol", ""));
    assertEquals(
        List.of(targets.get(0), targets.get(1), targets.get(4)),
        adopter.reconcile(MNT, live, mi, targets, false),
        "a bound target stays whatever the table shows");
    assertSame(targets, adopter.reconcile(MNT, live, mi, targets, true));
  }
}
