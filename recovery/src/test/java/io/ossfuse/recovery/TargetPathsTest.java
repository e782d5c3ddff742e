package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 *
 *
 * <pre>
 * dir/pods/                  allowed root
 * dir/pods/uid/link -> dir/etc
 * dir/pods/uid/file          a regular file
 * dir/etc/
 * </pre>
 */
class TargetPathsTest {
  @TempDir Path dir;

  private TargetPaths paths() throws Exception {
    Files.createDirectories(dir.resolve("pods/uid"));
    Files.createDirectories(dir.resolve("etc"));
    Files.createSymbolicLink(dir.resolve("pods/uid/link"), dir.resolve("etc"));
    Files.writeString(dir.resolve("pods/uid/file"), "x");
    return new TargetPaths(dir.resolve("pods"));
  }

  private static String refused(TargetPaths p, String target) {
    return assertThrows(TargetPaths.TargetException.class, () -> p.prepare(target, false))
        .getMessage();
  }

  @Test
  void createsMissingDirectoriesUnderTheRoot() throws Exception {
    TargetPaths p = paths();
    Path t = p.prepare(dir + "/pods/uid/volumes/kubernetes.io~csi/pv/mount", false);
    assertTrue(Files.isDirectory(t));
    assertEquals(dir.resolve("pods/uid/volumes/kubernetes.io~csi/pv/mount"), t);
  }

  @Test
  void refusesOutsideDotDotSymlinksAndFiles() throws Exception {
    TargetPaths p = paths();
    assertTrue(refused(p, dir + "/etc/x").contains("outside the allowed root"));
    assertTrue(refused(p, dir + "/pods").contains("outside the allowed root"), "the root itself");
    assertTrue(
        refused(p, dir + "/podsX/a").contains("outside the allowed root"),
        "a sibling with a common prefix");
    assertTrue(refused(p, dir + "/pods/uid/../../etc/x").contains("'..'"));
    assertTrue(refused(p, dir + "/pods/./uid/x").contains("'.'"));
    assertTrue(refused(p, "pods/uid/x").contains("absolute"));
    assertTrue(refused(p, dir + "/pods/uid/link/x").contains("symlink"));
    assertTrue(
        refused(p, dir + "/pods/uid/link").contains("symlink"), "a symlink as the last component");
    assertTrue(refused(p, dir + "/pods/uid/file").contains("not a directory"));
    assertTrue(Files.notExists(dir.resolve("etc/x")), "nothing created through the link");
  }

  @Test
  void aMissingRootIsNotCreatedAndRefusesBinds() throws Exception {
    TargetPaths p = new TargetPaths(dir.resolve("no-kubelet/pods"));
    assertTrue(refused(p, dir + "/no-kubelet/pods/uid/vol").contains("does not exist"));
    assertTrue(Files.notExists(dir.resolve("no-kubelet")));
  }

  @Test
  void subPathMustBePlainAndRelative() throws Exception {
    assertEquals("", TargetPaths.checkSubPath(""));
    assertEquals("a/b", TargetPaths.checkSubPath("a/b"));
    assertThrows(TargetPaths.TargetException.class, () -> TargetPaths.checkSubPath("../x"));
    assertThrows(TargetPaths.TargetException.class, () -> TargetPaths.checkSubPath("/abs"));
    assertThrows(TargetPaths.TargetException.class, () -> TargetPaths.checkSubPath("a/../../b"));
  }
}
