package io.ossfuse.cli;

import io.ossfuse.mount.FuseTransports;
import io.ossfuse.mount.MountException;
import io.ossfuse.mount.MountFactory;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.mount.ServedMount;
import io.ossfuse.oss.SignatureVersion;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ossfuse mount}: in the foreground here; through the daemon once it exists. */
@Command(
    name = "mount",
    mixinStandardHelpOptions = true,
    description = {
      "Mount oss://bucket[/dir] read-only at MOUNTPOINT.",
      "With --foreground the mount lives in this process until SIGTERM/SIGINT (Ctrl-C), then it is "
          + "unmounted and the command exits 0. Without it the request goes to the ossfuse daemon."
    },
    footer = {
      "",
      "Credentials: --cred-dir DIR holding files fs.oss.accessKeyId and fs.oss.accessKeySecret "
          + "(optionally fs.oss.securityToken), e.g. a Kubernetes Secret volume; rotated keys are picked up "
          + "without a restart. Without --cred-dir: OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET "
          + "[/ OSS_SESSION_TOKEN], or RRSA (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, "
          + "ALIBABA_CLOUD_OIDC_TOKEN_FILE), or the ECS instance RAM role (ALIBABA_CLOUD_ECS_METADATA=<role>); "
          + "role keys are renewed before they expire.",
      "Example: ossfuse mount oss://my-bucket/datasets/imagenet /mnt/imagenet "
          + "--endpoint https://oss-cn-hangzhou-internal.aliyuncs.com --cred-dir /etc/oss-secret "
          + "-o uid=1000,gid=1000,allow_other --foreground"
    })
public class MountCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SOURCE", description = "oss://bucket or oss://bucket/dir")
  String source;

  @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = "an existing, empty directory")
  Path mountpoint;

  @Option(
      names = "--endpoint",
      paramLabel = "URL",
      description = "OSS endpoint (fs.oss.endpoint), e.g. https://oss-cn-hangzhou.aliyuncs.com")
  String endpoint;

  @Option(
      names = "--cred-dir",
      paramLabel = "DIR",
      description = "directory with the files fs.oss.accessKeyId and fs.oss.accessKeySecret")
  Path credDir;

  @Option(
      names = "-o",
      paramLabel = "OPTS",
      split = ",",
      description =
          "comma-separated mount options: uid=N, gid=N, umask=OOO (octal), allow_other, ro, "
              + "read_timeout=SECONDS (as --read-timeout), passthrough=on|off (the kernel reads objects over one block the "
              + "cache holds whole by itself; default on where the kernel can), "
              + "prefetch_small_files=N (after a directory is listed, fetch up to N of its files of at most "
              + "1 MiB into the cache, 8 at a time; default 0: off)")
  List<String> fuseOptions = List.of();

  @Option(
      names = "--tieredstore",
      paramLabel = "FILE",
      description =
          "tiered cache configuration (YAML); default: an in-heap cache of 4 MiB blocks, "
              + "256 MiB (at most half the JVM heap)")
  Path tieredstore;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description = "where the inode table persists (lets a restarted process keep inode numbers)")
  Path stateDir;

  @Option(
      names = "--signature-version",
      paramLabel = "V1|V4",
      description = "request signing (default: ${DEFAULT-VALUE})",
      defaultValue = "V1")
  SignatureVersion signatureVersion;

  @Option(
      names = "--region",
      paramLabel = "REGION",
      description = "region for signature V4, e.g. cn-hangzhou")
  String region;

  @Option(
      names = "--metadata-ttl",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "how long file metadata is cached (default: ${DEFAULT-VALUE})")
  double metadataTtl;

  @Option(
      names = "--negative-ttl",
      paramLabel = "SECONDS",
      defaultValue = "5",
      description = "how long \"no such file\" is cached (default: ${DEFAULT-VALUE})")
  double negativeTtl;

  @Option(
      names = "--read-timeout",
      paramLabel = "SECONDS",
      description =
          "a read that OSS has not answered completely within this long fails with EIO (a stalled "
              + "request is retried or doubled well before; default: the daemon's --read-timeout, "
              + "else $"
              + io.ossfuse.mount.MountFactory.READ_TIMEOUT_ENV
              + ", else 20)")
  Double readTimeout;

  @Option(
      names = "--transport",
      paramLabel = "NAME",
      description =
          "FUSE transport: raw (own /dev/fuse protocol, 1 MiB requests) or jnr (jnr-fuse); "
              + "default: raw under the daemon; with --foreground raw as root, else jnr")
  String transport;

  @Option(
      names = {"-f", "--foreground"},
      description = "serve the mount from this process until SIGTERM/SIGINT")
  boolean foreground;

  @Option(
      names = {"-v", "--verbose"},
      description = "log at INFO level")
  boolean verbose;

  /**
   * The validated options of this command line (IllegalArgumentException with one line otherwise).
   */
  public MountOptions mountOptions() {
    MountOptions.Builder b =
        MountOptions.builder(source, mountpoint.toAbsolutePath().normalize().toString(), endpoint)
            .credDir(credDir == null ? null : credDir.toAbsolutePath().toString())
            .tieredstore(tieredstore == null ? null : tieredstore.toAbsolutePath().toString())
            .stateDir(stateDir == null ? null : stateDir.toAbsolutePath().toString())
            .signatureVersion(signatureVersion)
            .region(region)
            .metadataTtlMillis(millis("--metadata-ttl", metadataTtl))
            .negativeTtlMillis(millis("--negative-ttl", negativeTtl))
            .transport(transport != null ? transport : FuseTransports.defaultName());
    applyFuseOptions(fuseOptions, b);
    if (readTimeout != null) b.readTimeoutMillis(positiveMillis("--read-timeout", readTimeout));
    return b.build();
  }

  private static long millis(String name, double seconds) {
    if (seconds < 0 || Double.isNaN(seconds))
      throw new IllegalArgumentException(name + " must be >= 0 seconds");
    return Math.round(seconds * 1000);
  }

  private static long positiveMillis(String name, double seconds) {
    long ms = millis(name, seconds);
    if (ms <= 0) throw new IllegalArgumentException(name + " must be > 0 seconds");
    return ms;
  }

  static void applyFuseOptions(List<String> opts, MountOptions.Builder b) {
    for (String raw : opts) {
      String o = raw.strip();
      if (o.isEmpty() || o.equals("ro")) continue;
      int eq = o.indexOf('=');
      String k = eq < 0 ? o : o.substring(0, eq);
      String v = eq < 0 ? null : o.substring(eq + 1);
      switch (k) {
        case "allow_other" -> b.allowOther(true);
        case "uid" -> b.uid(number(k, v, 10));
        case "gid" -> b.gid(number(k, v, 10));
        case "umask" -> b.umask(number(k, v, 8));
        case "read_timeout" ->
            b.readTimeoutMillis(positiveMillis("-o read_timeout", seconds(k, v)));
        case "passthrough" -> {
          if (!"on".equals(v) && !"off".equals(v)) {
            throw new IllegalArgumentException(
                "-o passthrough needs on or off, got " + (v == null ? "nothing" : "'" + v + "'"));
          }
          b.passthrough("on".equals(v));
        }
        case "prefetch_small_files" -> b.prefetchSmallFiles(number(k, v, 10));
        default ->
            throw new IllegalArgumentException(
                "unknown mount option -o "
                    + o
                    + ": supported are uid=N, gid=N, umask=OOO, allow_other, ro, read_timeout=SECONDS, passthrough=on|off, prefetch_small_files=N");
      }
    }
  }

  private static double seconds(String k, String v) {
    try {
      if (v == null) throw new NumberFormatException();
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "-o " + k + " needs a number of seconds, got " + (v == null ? "nothing" : "'" + v + "'"));
    }
  }

  private static int number(String k, String v, int radix) {
    try {
      if (v == null) throw new NumberFormatException();
      return Integer.parseInt(v, radix);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "-o "
              + k
              + " needs a "
              + (radix == 8 ? "octal" : "decimal")
              + " number, got "
              + (v == null ? "nothing" : "'" + v + "'"));
    }
  }

  @Override
  public Integer call() throws Exception {
    MountOptions options = mountOptions();
    if (!foreground) return viaDaemon(options);
    return runForeground(options, spec.commandLine().getOut(), Signals.install());
  }

  /** {@code --socket}: where the request goes without --foreground. */
  @Mixin DaemonClientOptions daemon;

  /** Registers the mount with the daemon, which starts and supervises its FUSE child. */
  protected int viaDaemon(MountOptions options) throws java.io.IOException {
    // Under the daemon the raw transport is the default: the daemon holds the /dev/fuse connection,
    // so a crash of the serving child is a pause, not ENOTCONN. An explicit --transport wins.
    if (!spec.commandLine().getParseResult().hasMatchedOption("--transport")) {
      options = options.toBuilder().transport(io.ossfuse.recovery.MountSpec.TRANSPORT_RAW).build();
    }
    com.fasterxml.jackson.databind.JsonNode json =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(options.toJson());
    io.ossfuse.recovery.MountSpec ms =
        new io.ossfuse.recovery.MountSpec(
            options.source(),
            options.mountpoint(),
            options.transport(),
            io.ossfuse.recovery.MountSpec.DRIVER_OSSFUSE,
            json);
    io.ossfuse.recovery.ControlResponse r;
    try {
      r =
          new io.ossfuse.recovery.ControlClient(daemon.socket)
              .send(io.ossfuse.recovery.ControlRequest.mount(ms));
    } catch (java.io.IOException e) {
      throw new Main.UserException(e.getMessage() + " (or use --foreground)");
    }
    if (!r.ok()) throw new Main.UserException(r.error());
    spec.commandLine().getOut().println("ossfuse: " + r.message());
    spec.commandLine().getOut().flush();
    return 0;
  }

  static int runForeground(MountOptions options, PrintWriter out, Signals signals)
      throws MountException, java.io.IOException, InterruptedException {
    try (ServedMount m = ServedMount.start(options, new MountFactory())) {
      out.println(
          "ossfuse: mounted "
              + options.source()
              + " at "
              + m.mountpoint()
              + " (transport "
              + m.transport().name()
              + "); Ctrl-C or SIGTERM unmounts");
      out.flush();
      while (!signals.await(200)) {
        if (m.awaitUnmounted(Duration.ZERO)) {
          out.println("ossfuse: " + m.mountpoint() + " was unmounted from outside");
          return 0;
        }
      }
      out.println("ossfuse: " + signals.received() + " received, unmounting " + m.mountpoint());
      out.flush();
    }
    out.println("ossfuse: unmounted");
    out.flush();
    return 0;
  }
}
