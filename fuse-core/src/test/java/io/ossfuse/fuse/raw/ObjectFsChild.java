package io.ossfuse.fuse.raw;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.MountFactory;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.oss.OssCredentials;
import java.util.Map;

/**
 * A serving child over the real filesystem core: ObjectFileSystem on a (local) OSS endpoint, with
 * its persisted inode table, built by {@link MountFactory} from the options in
 * OSSFUSE_TEST_MOUNT_JSON (credentials from OSS_ACCESS_KEY_ID/SECRET). What the watchdog's child
 * main will look like.
 */
public final class ObjectFsChild {
  /** The variable that carries the mount's options, as JSON. */
  static final String ENV_OPTIONS = "OSSFUSE_TEST_MOUNT_JSON";

  private ObjectFsChild() {}

  /** The environment of a child serving {@code options} over {@code server} with its keys. */
  static Map<String, String> env(MountOptions options, LocalOssServer server) {
    return Map.of(
        ENV_OPTIONS,
        options.toJson(),
        OssCredentials.ENV_ID,
        server.accessKeyId(),
        OssCredentials.ENV_SECRET,
        server.accessKeySecret());
  }

  public static void main(String[] args) throws Exception {
    MountOptions options = MountOptions.fromJson(System.getenv(ENV_OPTIONS));
    MountFactory factory = new MountFactory();
    if (System.getenv(io.ossfuse.fuse.dev.Standby.ENV_FIFO) != null) {
      // A standby pays the SDK/HTTP/cache start-up now; the inode table (locked by the active
      // child) is opened after activation.
      factory.open(options.toBuilder().stateDir(null).build()).close();
    }
    RawFuseTransport.serveStdin(
        () -> {
          try {
            return factory.open(options).fs();
          } catch (Exception e) {
            throw new IllegalStateException(
                "cannot open " + options.source() + ": " + e.getMessage(), e);
          }
        },
        RawFuseConfig.defaults().withWorkers(4).withPassthrough(options.fsOptions().passthrough()));
    System.exit(0);
  }
}
