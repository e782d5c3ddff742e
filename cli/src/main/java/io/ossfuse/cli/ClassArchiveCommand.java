package io.ossfuse.cli;

import io.ossfuse.fs.DirEntry;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.OpenFile;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fuse.raw.RawFuseConfig;
import io.ossfuse.fuse.raw.RawFuseTransport;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.SampleDataset;
import io.ossfuse.mount.MountFactory;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.mount.MountedFileSystem;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ossfuse class-archive}: the training run of the class-data archive (AppCDS) that
 * long-running commands map at start. bin/ossfuse runs it with {@code -XX:ArchiveClassesAtExit} and
 * keeps the archive only if this exits 0; on its own it is a harmless self-test. It serves a local
 * OSS endpoint with sample data in-process and drives a mount's filesystem over it (listing,
 * lookups, attributes, opens and reads through the tiered cache, the raw transport's request path
 * without a kernel): no FUSE, no root, no network, so it also runs in an image build.
 */
@Command(
    name = "class-archive",
    mixinStandardHelpOptions = true,
    description = {
      "Write the class-data archive (AppCDS) that the daemon, its FUSE children and foreground "
          + "mounts map at start, so they serve sooner: bin/ossfuse runs this once per "
          + "installation (in the background at the first start, or at an image build) and "
          + "keeps the archive only if it succeeds. Needs no FUSE, root or network.",
      "Environment: OSSFUSE_CLASS_ARCHIVE=off disables the archive; =FILE uses that file."
    })
public final class ClassArchiveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--force",
      description = "write it again even if this installation has one (bin/ossfuse reads this)")
  boolean force;

  private static final int ROUNDS = 3;
  private static final String WORK_PREFIX = "ossfuse-class-archive-";

  /** A training killed (not ended) leaves its directory: removed by the next one after an hour. */
  private static final java.time.Duration ABANDONED = java.time.Duration.ofHours(1);

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    // the PID in the name tells this training's directory from those of others running beside it
    Path work = Files.createTempDirectory(WORK_PREFIX + ProcessHandle.current().pid() + "-");
    removeAbandoned(work.getParent());
    String bucket = "train";
    LocalOssServer server = null;
    int files = 0;
    try {
      server = LocalOssServer.builder().root(work.resolve("oss")).bucket(bucket).build().start();
      SampleDataset.generate(server.bucketDir(bucket), 9L << 20, 64);
      Path creds = work.resolve("credentials");
      CredFiles.write(creds, server.accessKeyId(), server.accessKeySecret());
      Path tieredstore = work.resolve("tieredstore.yaml");
      Files.writeString(
          tieredstore,
          String.join(
              "\n",
              "tieredstore:",
              "  levels:",
              "    - mediumtype: SSD",
              "      path: " + work.resolve("cache"),
              "      quota: 64Mi",
              "      high: \"0.95\"",
              "      low: \"0.8\"",
              ""));
      MountOptions options =
          MountOptions.builder("oss://" + bucket, work.resolve("mnt").toString(), server.endpoint())
              .credDir(creds.toString())
              .tieredstore(tieredstore.toString())
              .stateDir(work.resolve("state").toString())
              .build();
      for (int round = 0; round < ROUNDS; round++) {
        // a fresh mount each round: the first requests of a mount are what the archive is for
        try (MountedFileSystem m = new MountFactory().open(options)) {
          files = walk(m.fs(), ReadOnlyFileSystem.ROOT_INO);
          RawFuseTransport.warmUp(
              m.fs(), RawFuseConfig.defaults(), work.resolve("warm-up-" + round));
        }
      }
    } finally {
      if (server != null) server.close();
      DemoCommand.deleteTree(work);
    }
    out.printf(
        "class-archive training: %d rounds over %d files in %d ms%n",
        ROUNDS, files, (System.nanoTime() - t0) / 1_000_000);
    out.flush();
    return 0;
  }

  private static void removeAbandoned(Path tmp) {
    java.time.Instant before = java.time.Instant.now().minus(ABANDONED);
    try (var dirs = Files.newDirectoryStream(tmp, WORK_PREFIX + "*")) {
      for (Path d : dirs) {
        if (Files.getLastModifiedTime(d).toInstant().isBefore(before)) DemoCommand.deleteTree(d);
      }
    } catch (java.io.IOException e) {
      // another training's directory, or none: nothing to clean
    }
  }

  /** Lists every directory and reads every file under {@code dir}; returns the files read. */
  private static int walk(ReadOnlyFileSystem fs, long dir) throws FsException {
    long dh = fs.opendir(dir);
    List<DirEntry> entries = new ArrayList<>();
    try {
      fs.readdir(dir, dh, 0, e -> entries.add(e));
    } finally {
      fs.releasedir(dir, dh);
    }
    int files = 0;
    ByteBuffer buf = ByteBuffer.allocate(128 << 10);
    for (DirEntry e : entries) {
      if (e.name().equals(".") || e.name().equals("..")) continue;
      var attr = fs.lookup(dir, e.name());
      fs.getattr(attr.ino());
      if (attr.type() == io.ossfuse.fs.FileType.DIRECTORY) {
        files += walk(fs, attr.ino());
        continue;
      }
      fs.listxattr(attr.ino());
      OpenFile f = fs.open(attr.ino(), 0);
      try {
        long off = 0;
        int n;
        while ((n = fs.read(attr.ino(), f.fh(), off, buf.clear())) > 0) off += n;
      } finally {
        if (f.backing() != null) f.backing().release();
        fs.release(attr.ino(), f.fh());
      }
      files++;
    }
    return files;
  }
}
