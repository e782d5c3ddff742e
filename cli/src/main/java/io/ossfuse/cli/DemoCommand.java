package io.ossfuse.cli;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.SampleDataset;
import io.ossfuse.mount.FuseTransports;
import io.ossfuse.mount.MountFactory;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.mount.ServedMount;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ossfuse demo}: a local OSS endpoint with sample data, mounted for real. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Start a local OSS endpoint on 127.0.0.1 with generated sample data (nested directories, a "
          + "64 MiB file, many small files, names with spaces/unicode/%%) in a temporary directory, mount it "
          + "read-only with FUSE and print what to try. Ctrl-C unmounts and removes everything.",
      "Needs root (or fusermount rights) and /dev/fuse."
    })
public final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = {"--check", "--no-wait"},
      description =
          "do not wait: list every directory, read every file, compare sha256 with the source, clean up and exit (0 = all equal)")
  boolean check;

  @Option(
      names = "--large-mib",
      paramLabel = "N",
      defaultValue = "64",
      description = "size of big/large.bin in MiB (default: ${DEFAULT-VALUE})")
  int largeMib;

  @Option(
      names = "--small-files",
      paramLabel = "N",
      defaultValue = "200",
      description = "number of small files (default: ${DEFAULT-VALUE})")
  int smallFiles;

  @Option(
      names = "--cache-mib",
      paramLabel = "N",
      defaultValue = "512",
      description = "size of the MEM cache level in /dev/shm in MiB (default: ${DEFAULT-VALUE})")
  int cacheMib;

  @Option(
      names = "--transport",
      paramLabel = "NAME",
      description =
          "FUSE transport: raw (own /dev/fuse protocol) or jnr (jnr-fuse); default: raw as root, else jnr")
  String transport;

  @Option(
      names = {"-v", "--verbose"},
      description = "log at INFO level")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    if (largeMib < 0 || smallFiles < 0 || cacheMib < 1) {
      throw new IllegalArgumentException(
          "--large-mib and --small-files must be >= 0, --cache-mib >= 1");
    }
    PrintWriter out = spec.commandLine().getOut();
    Signals signals = Signals.install();
    Path work = Files.createTempDirectory("ossfuse-demo-");
    Path root = work.resolve("oss");
    Path creds = work.resolve("credentials");
    Path mnt = Files.createDirectories(work.resolve("mnt"));
    // The MEM cache level lives in /dev/shm (tmpfs) when there is one, else next to the data.
    Path shmDir =
        Files.isDirectory(Path.of("/dev/shm"))
            ? Path.of("/dev/shm/ossfuse-demo-" + ProcessHandle.current().pid())
            : work.resolve("cache");
    String bucket = "demo";
    LocalOssServer server = null;
    try {
      server = LocalOssServer.builder().root(root).bucket(bucket).build().start();
      out.println("generating sample data ...");
      out.flush();
      SampleDataset ds =
          SampleDataset.generate(server.bucketDir(bucket), (long) largeMib << 20, smallFiles);
      CredFiles.write(creds, server.accessKeyId(), server.accessKeySecret());
      Path tieredstore = work.resolve("tieredstore.yaml");
      Files.writeString(
          tieredstore,
          String.join(
              "\n",
              "tieredstore:",
              "  levels:",
              "    - mediumtype: MEM",
              "      path: " + shmDir,
              "      quota: " + cacheMib + "Mi",
              "      high: \"0.95\"",
              "      low: \"0.8\"",
              ""));
      MountOptions options =
          MountOptions.builder("oss://" + bucket, mnt.toString(), server.endpoint())
              .credDir(creds.toString())
              .tieredstore(tieredstore.toString())
              .stateDir(work.resolve("state").toString())
              .transport(transport != null ? transport : FuseTransports.defaultName())
              .build();
      try (ServedMount m = ServedMount.start(options, new MountFactory())) {
        out.println(
            "local OSS endpoint "
                + server.endpoint()
                + " serves bucket '"
                + bucket
                + "' from "
                + server.bucketDir(bucket));
        out.println(
            "mounted oss://"
                + bucket
                + " at "
                + mnt
                + " ("
                + ds.fileKeys().size()
                + " files, read-only; "
                + cacheMib
                + " MiB MEM cache in "
                + shmDir
                + ")");
        if (check) return check(server.bucketDir(bucket), mnt, out);
        out.println();
        out.println("try, in another shell:");
        out.println("  ls -l " + mnt + " " + mnt + "/weird");
        out.println("  cat " + mnt + "/README.txt");
        out.println(
            "  sha256sum "
                + mnt
                + "/"
                + SampleDataset.LARGE_FILE_KEY
                + " "
                + server.bucketDir(bucket)
                + "/"
                + SampleDataset.LARGE_FILE_KEY);
        out.println("  getfattr -n user.oss.etag " + mnt + "/README.txt");
        out.println("  touch " + mnt + "/x    # fails: read-only file system");
        out.println();
        out.println("Ctrl-C unmounts and removes " + work);
        out.flush();
        while (!signals.await(200)) {
          if (m.awaitUnmounted(java.time.Duration.ZERO)) {
            out.println(mnt + " was unmounted from outside");
            break;
          }
        }
        out.println("cleaning up ...");
        out.flush();
      }
      return 0;
    } finally {
      if (server != null) server.close();
      deleteTree(work);
      deleteTree(shmDir);
    }
  }

  private static int check(Path source, Path mnt, PrintWriter out) throws IOException {
    long t0 = System.nanoTime();
    TreeCheck.Result r = TreeCheck.compare(source, mnt);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    if (!r.ok()) {
      r.problems().stream().limit(20).forEach(p -> out.println("MISMATCH " + p));
      out.flush();
      throw new Main.UserException(
          "demo check failed: "
              + r.problems().size()
              + " difference(s) between the mount and its source");
    }
    out.printf(
        "check ok: %d directories listed, %d files (%d bytes) read, every sha256 matches the source (%d ms)%n",
        r.dirs(), r.files(), r.bytes(), ms);
    out.flush();
    return 0;
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) return;
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
              Files.deleteIfExists(f);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              Files.deleteIfExists(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      System.err.println("demo: could not remove " + dir + ": " + e.getMessage());
    }
  }
}
