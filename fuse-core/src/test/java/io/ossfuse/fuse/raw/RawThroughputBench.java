package io.ossfuse.fuse.raw;

import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.dev.FuseDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Not a test: {@code java -cp <test classpath> io.ossfuse.fuse.raw.RawThroughputBench [MiB]
 * [runs]}. dd bs=1M of one in-memory file through the raw transport (served in this JVM) and
 * through bindfs over /dev/shm, buffered (page cache of the file dropped before each run) and
 * O_DIRECT. Root.
 */
public final class RawThroughputBench {
  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 512;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path root = Files.createTempDirectory("rawbench");
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "rawbench");
    Path rawMnt = Files.createDirectories(root.resolve("raw"));
    Path bindMnt = Files.createDirectories(root.resolve("bindfs"));
    Path jnrMnt = Files.createDirectories(root.resolve("jnr"));
    io.ossfuse.fuse.jnr.JnrFuseTransport jnr = new io.ossfuse.fuse.jnr.JnrFuseTransport();
    FuseDevice dev = null;
    Process bindfs = null;
    try {
      byte[] data = PatternFileSystem.pattern(mib << 20);
      Files.write(shm.resolve("big"), data);
      dev = FuseDevice.mount(rawMnt, FuseMountConfig.of("rawbench", true));
      RawFuseSession s =
          RawFuseTransport.start(
              dev.fd(),
              new PatternFileSystem((long) mib << 20, true, 0, 0),
              new SessionState(root.resolve("state"), dev.sessionId()),
              RawFuseConfig.defaults());
      s.awaitMode(Duration.ofSeconds(10));
      bindfs =
          new ProcessBuilder("bindfs", "-f", shm.toString(), bindMnt.toString())
              .inheritIO()
              .start();
      for (int i = 0;
          i < 50 && !Files.readString(Path.of("/proc/mounts")).contains(bindMnt.toString());
          i++) {
        Thread.sleep(100);
      }
      String tmpfs = shm.resolve("big").toString();
      String raw = rawMnt.resolve("big").toString();
      String bind = bindMnt.resolve("big").toString();
      jnr.mount(
          jnrMnt,
          new PatternFileSystem((long) mib << 20, true, 0, 0),
          FuseMountConfig.of("jnrbench", true));
      String jnrBig = jnrMnt.resolve("big").toString();
      report("tmpfs      buffered", tmpfs, false, runs);
      report("jnr-fuse   buffered", jnrBig, false, runs);
      report("jnr-fuse   O_DIRECT", jnrBig, true, runs);
      report("bindfs     buffered", bind, false, runs);
      report("bindfs     O_DIRECT", bind, true, runs);
      dev.setReadAheadKb(128);
      report("raw        buffered (readahead 128K)", raw, false, runs);
      dev.setReadAheadKb(1024);
      report("raw        buffered (readahead 1M)", raw, false, runs);
      report("raw        O_DIRECT", raw, true, runs);
    } finally {
      if (bindfs != null) {
        new ProcessBuilder("umount", "-l", bindMnt.toString()).inheritIO().start().waitFor();
        bindfs.destroy();
        bindfs.waitFor();
      }
      if (dev != null) {
        dev.close();
      }
      jnr.unmount();
      Files.deleteIfExists(shm.resolve("big"));
      Files.deleteIfExists(shm);
    }
  }

  static void report(String what, String file, boolean direct, int runs) throws Exception {
    List<Double> mbps = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      Shell.sh(60_000, "dd if=" + file + " iflag=nocache count=0 status=none");
      long t0 = System.nanoTime();
      Shell.Result r =
          Shell.sh(
              120_000,
              "dd if="
                  + file
                  + " of=/dev/null bs=1M"
                  + (direct ? " iflag=direct" : "")
                  + " status=none");
      double s = (System.nanoTime() - t0) / 1e9;
      if (!r.ok()) {
        throw new IllegalStateException(what + ": " + r);
      }
      mbps.add(Files.size(Path.of(file)) / 1e6 / s);
    }
    Collections.sort(mbps);
    System.out.printf(
        "%-40s min %6.0f  median %6.0f  max %6.0f MB/s%n",
        what, mbps.get(0), mbps.get(mbps.size() / 2), mbps.get(mbps.size() - 1));
  }
}
