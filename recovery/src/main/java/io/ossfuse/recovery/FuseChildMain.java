package io.ossfuse.recovery;

import io.ossfuse.mount.MountException;
import io.ossfuse.mount.MountFactory;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.mount.ServedMount;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Entry point of one FUSE child: {@code FuseChildMain --spec FILE}. Builds the mount from the spec's
 * {@link MountOptions} with {@link MountFactory} and serves it until it is unmounted or the process
 * is told to stop (SIGTERM unmounts cleanly). The daemon supervises it; it never restarts itself.
 *
 * <p>Without a {@code stateDir} in the options the inode table goes to {@code <FILE>.d/}, so inode
 * numbers survive a restart of the child. Exit status: 0 after a clean stop, 2 when the mount cannot
 * be built (one line on stderr says why), 3 on a bad spec.
 */
public final class FuseChildMain {
  private FuseChildMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2 || !args[0].equals("--spec")) {
      System.err.println("usage: FuseChildMain --spec FILE");
      System.exit(3);
    }
    Path specFile = Path.of(args[1]);
    MountOptions options;
    try {
      MountSpec spec = Json.mapper().readValue(Files.readAllBytes(specFile), MountSpec.class);
      if (spec.options() == null) throw new IllegalArgumentException("the spec has no mount options");
      options = MountOptions.fromJson(spec.options().toString());
      if (options.stateDir() == null) {
        Path dir = specFile.resolveSibling(specFile.getFileName() + ".d");
        Files.createDirectories(dir);
        options = options.toBuilder().stateDir(dir.toString()).build();
      }
    } catch (Exception e) {
      System.err.println("ossfuse child: bad spec " + specFile + ": " + e.getMessage());
      System.exit(3);
      return;
    }
    System.exit(serve(options));
  }

  static int serve(MountOptions options) throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    ServedMount m;
    try {
      m = ServedMount.start(options, new MountFactory());
    } catch (MountException e) {
      System.err.println("ossfuse child: cannot mount " + options.source() + " on " + options.mountpoint() + ": "
          + e.getMessage());
      return 2;
    }
    System.err.println("ossfuse child " + ProcessHandle.current().pid() + ": serving " + options.source() + " on "
        + m.mountpoint() + " (transport " + m.transport().name() + ")");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      try {
        m.close();
      } catch (Exception ignored) {
        // exiting anyway; the daemon cleans a dead mount
      }
    }, "unmount"));
    while (!m.awaitUnmounted(Duration.ofSeconds(1))) {
      if (stop.getCount() == 0) return 0;
    }
    System.err.println("ossfuse child: " + m.mountpoint() + " was unmounted from outside; exiting");
    m.close();
    return 0;
  }
}
