package io.ossfuse.fuse.raw;

import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.FuseTransport;
import io.ossfuse.fuse.jnr.JnrFuseTransport;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.MountFactory;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.mount.MountedFileSystem;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a test: time ls -f / ls -l of a 10,000-object directory over raw (plus on/off) and jnr-fuse.
 */
public final class ListingBench {
  public static void main(String[] args) throws Exception {
    Path work = Files.createTempDirectory("listbench");
    try (LocalOssServer server =
        LocalOssServer.builder().root(work.resolve("oss")).bucket("bkt").build().start()) {
      Path many = Files.createDirectories(server.bucketDir("bkt").resolve("many"));
      for (int i = 0; i < 10_000; i++) {
        Files.write(many.resolve(String.format("f%05d", i)), new byte[0]);
      }
      var env =
          java.util.Map.of(
              "OSS_ACCESS_KEY_ID",
              server.accessKeyId(),
              "OSS_ACCESS_KEY_SECRET",
              server.accessKeySecret());
      for (String t : new String[] {"raw-plus", "raw-noplus", "jnr"}) {
        Path mnt = Files.createDirectories(work.resolve("mnt-" + t));
        MountOptions o =
            MountOptions.builder("oss://bkt", mnt.toString(), server.endpoint()).build();
        try (MountedFileSystem m = new MountFactory(env, x -> null).open(o)) {
          FuseTransport tr =
              t.equals("jnr")
                  ? new JnrFuseTransport()
                  : new RawMountTransport(
                      RawFuseConfig.defaults().withReaddirPlus(t.equals("raw-plus")));
          tr.mount(mnt, m.fs(), FuseMountConfig.of("b", true));
          try {
            for (String cmd : new String[] {"ls -f", "ls -f", "ls -l", "ls -l"}) {
              Shell.Result r = Shell.sh(120_000, cmd + " " + mnt.resolve("many") + " | wc -l");
              System.out.printf(
                  "%-10s %-6s %s lines in %d ms%n", t, cmd, r.out().strip(), r.millis());
            }
          } finally {
            tr.unmount();
          }
        }
      }
    }
  }
}
