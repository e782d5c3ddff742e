package io.ossfuse.cli;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.ServedMount;
import java.nio.file.Path;

/**
 * What the foreground mount tests share: one teardown that leaves no mount, server or directory.
 */
final class MountFixtures {
  private MountFixtures() {}

  /**
   * Unmounts (lazily if the clean close failed), stops the endpoint, removes {@code work} once
   * unmounted; nulls allowed.
   */
  static void tearDown(ServedMount mount, Path mnt, LocalOssServer server, Path work)
      throws Exception {
    try {
      if (mount != null) mount.close();
    } finally {
      if (mnt != null && MountInfo.isMounted(mnt)) {
        new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).inheritIO().start().waitFor();
      }
      if (server != null) server.close();
      if (work != null && !MountInfo.isMounted(mnt)) DemoCommand.deleteTree(work);
    }
  }
}
