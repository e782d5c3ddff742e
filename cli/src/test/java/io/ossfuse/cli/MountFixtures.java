package io.ossfuse.cli;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.MountFactory;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.mount.ServedMount;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/**
 * What the foreground mount tests share: a mount made from the command line `ossfuse mount` parses,
 * and one teardown that leaves no mount, server or directory.
 */
final class MountFixtures {
  private MountFixtures() {}

  /**
   * The endpoint's keys, written as the secret files {@code --cred-dir} reads, under {@code work}.
   */
  static Path creds(LocalOssServer server, Path work) throws Exception {
    Path creds = work.resolve("creds");
    CredFiles.write(creds, server.accessKeyId(), server.accessKeySecret());
    return creds;
  }

  /**
   * What {@code ossfuse mount oss://BUCKET MNT --endpoint E --cred-dir CREDS --foreground MORE...}
   * parses to.
   */
  static MountOptions options(
      LocalOssServer server, String bucket, Path mnt, Path creds, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "oss://" + bucket,
                mnt.toString(),
                "--endpoint",
                server.endpoint(),
                "--cred-dir",
                creds.toString(),
                "--foreground"));
    args.addAll(Arrays.asList(more));
    MountCommand cmd = new MountCommand();
    new CommandLine(cmd).parseArgs(args.toArray(String[]::new));
    return cmd.mountOptions();
  }

  /** Serves that mount in this process. */
  static ServedMount mount(
      LocalOssServer server, String bucket, Path mnt, Path creds, String... more) throws Exception {
    return ServedMount.start(options(server, bucket, mnt, creds, more), new MountFactory());
  }

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
