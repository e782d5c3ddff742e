package io.ossfuse.cli;

import io.ossfuse.localoss.FaultSpec;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.RemoteProfile;
import io.ossfuse.localoss.SampleDataset;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ossfuse local-oss}: the local OSS-compatible endpoint in the foreground. */
@Command(
    name = "local-oss",
    mixinStandardHelpOptions = true,
    description = {
      "Serve a local directory as an OSS bucket on 127.0.0.1 (for trying `ossfuse mount` by hand, "
          + "tests and benchmarks). Runs until SIGTERM/SIGINT. Prints the endpoint, the bucket and the access keys.",
      "Objects are the files under DIR/BUCKET (the key is the relative path)."
    })
public final class LocalOssCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--dir",
      required = true,
      paramLabel = "DIR",
      description = "root directory; the bucket is DIR/BUCKET (created if missing)")
  Path dir;

  @Option(names = "--bucket", required = true, paramLabel = "NAME", description = "bucket name")
  String bucket;

  @Option(
      names = "--port",
      paramLabel = "N",
      defaultValue = "0",
      description = "TCP port on 127.0.0.1 (default: a free one)")
  int port;

  @Option(
      names = "--sample",
      description =
          "fill the bucket with the sample dataset (nested dirs, a 64 MiB file, small files, odd names)")
  boolean sample;

  @Option(
      names = "--access-key-id",
      paramLabel = "ID",
      description = "the key to accept (default: random)")
  String accessKeyId;

  @Option(
      names = "--access-key-secret",
      paramLabel = "SECRET",
      description = "its secret (default: random)")
  String accessKeySecret;

  @Option(
      names = "--write-cred-dir",
      paramLabel = "DIR",
      description =
          "also write the keys as fs.oss.accessKeyId/fs.oss.accessKeySecret files into DIR (for --cred-dir)")
  Path writeCredDir;

  @Option(
      names = "--fault",
      paramLabel = "SPEC",
      description =
          "misbehave on every object GET (repeatable; for trying timeouts by hand): "
              + FaultSpec.SYNTAX
              + ", e.g. stall:65536 (64 KiB, then silence) or close-delimited")
  java.util.List<String> faults = java.util.List.of();

  @Option(
      names = "--bandwidth",
      paramLabel = "RATE",
      description =
          "pace each connection's answers to RATE, like a remote endpoint (real OSS: ~100-200 MB/s "
              + "per connection): "
              + RemoteProfile.RATE_SYNTAX
              + " (default: no cap)")
  String bandwidth;

  @Option(
      names = "--first-byte-latency",
      paramLabel = "DURATION",
      description =
          "hold every request this long before answering, like a remote endpoint (real OSS: a few ms): "
              + RemoteProfile.LATENCY_SYNTAX
              + " (default: none)")
  String firstByteLatency;

  @Option(
      names = {"-v", "--verbose"},
      description = "log at INFO level")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    if ((accessKeyId == null) != (accessKeySecret == null)) {
      throw new IllegalArgumentException("--access-key-id and --access-key-secret go together");
    }
    RemoteProfile profile =
        new RemoteProfile(
            bandwidth == null ? 0 : RemoteProfile.parseRate(bandwidth),
            firstByteLatency == null ? null : RemoteProfile.parseLatency(firstByteLatency));
    PrintWriter out = spec.commandLine().getOut();
    Signals signals = Signals.install();
    LocalOssServer.Builder b =
        LocalOssServer.builder()
            .root(dir.toAbsolutePath())
            .bucket(bucket)
            .port(port)
            .remoteProfile(profile);
    if (accessKeyId != null) b.credentials(accessKeyId, accessKeySecret);
    try (LocalOssServer server = start(b)) {
      for (String f : faults) FaultSpec.apply(server.faults(), f);
      if (sample) {
        SampleDataset ds = SampleDataset.generate(server.bucketDir(bucket));
        out.println(
            "sample data: " + ds.fileKeys().size() + " files in " + server.bucketDir(bucket));
      }
      if (writeCredDir != null)
        CredFiles.write(writeCredDir, server.accessKeyId(), server.accessKeySecret());
      out.println("endpoint:          " + server.endpoint());
      out.println("bucket:            " + bucket);
      if (!profile.isNone()) out.println("remote profile:    " + profile);
      out.println("accessKeyId:       " + server.accessKeyId());
      out.println("accessKeySecret:   " + server.accessKeySecret());
      if (writeCredDir != null) out.println("credentials dir:   " + writeCredDir.toAbsolutePath());
      out.println(
          "try: ossfuse mount oss://"
              + bucket
              + " /mnt/x --endpoint "
              + server.endpoint()
              + (writeCredDir != null ? " --cred-dir " + writeCredDir.toAbsolutePath() : "")
              + " --foreground");
      out.println("Ctrl-C stops the endpoint.");
      out.flush();
      while (!signals.await(1000)) {
        // serve until a signal
      }
    }
    return 0;
  }

  private static LocalOssServer start(LocalOssServer.Builder b) {
    try {
      return b.build().start();
    } catch (java.net.BindException e) {
      throw new IllegalArgumentException(
          "cannot listen on 127.0.0.1: " + e.getMessage() + " (pick another --port)");
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("cannot start the local OSS endpoint: " + e.getMessage());
    }
  }
}
