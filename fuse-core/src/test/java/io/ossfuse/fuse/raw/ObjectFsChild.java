package io.ossfuse.fuse.raw;

import io.ossfuse.mount.MountFactory;
import io.ossfuse.mount.MountOptions;

/**
 * A serving child over the real filesystem core: ObjectFileSystem on a (local) OSS endpoint, with
 * its persisted inode table, built by {@link MountFactory} from the options in
 * OSSFUSE_TEST_MOUNT_JSON (credentials from OSS_ACCESS_KEY_ID/SECRET). What the watchdog's child
 * main will look like.
 */
public final class ObjectFsChild {
  private ObjectFsChild() {}

  public static void main(String[] args) throws Exception {
    MountOptions options = MountOptions.fromJson(System.getenv("OSSFUSE_TEST_MOUNT_JSON"));
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
