package io.ossfuse.recovery;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The daemon's configuration, immutable and validated where built. Defaults suit a Kubernetes node;
 * every path can be moved (containers, tests).
 *
 * @param socket control socket (its directory is made 0700, the socket 0600)
 * @param stateFile mounts and targets; {@code <stateFile>.prev} keeps the previous version
 * @param allowedRoot bind targets must be strictly under this directory
 * @param logDir one {@code <mount-id>.log} per mount with the child's stdout/stderr
 * @param childMaxHeap {@code -Xmx} of each ossfuse child JVM, e.g. {@code 512m}
 * @param javaBin the java launcher for ossfuse children
 * @param classpath the children's classpath (the daemon's own by default)
 * @param readTimeout the read timeout of the mounts that set none (handed to each ossfuse child as
 *     {@code OSSFUSE_READ_TIMEOUT}); null: the child's own default
 */
public record DaemonConfig(
    Path socket,
    Path stateFile,
    Path allowedRoot,
    Path logDir,
    String childMaxHeap,
    String javaBin,
    String classpath,
    Duration probeInterval,
    Duration probeTimeout,
    int probeFailures,
    Duration startTimeout,
    Duration backoffBase,
    Duration backoffCap,
    Duration readTimeout) {
  /** Also the CLI flag default, so it is a compile-time constant. */
  public static final String DEFAULT_SOCKET_PATH = "/run/ossfuse/ossfuse.sock";

  public static final Path DEFAULT_SOCKET = Path.of(DEFAULT_SOCKET_PATH);
  public static final String DEFAULT_STATE_PATH = "/var/lib/ossfuse/state.json";
  public static final Path DEFAULT_STATE = Path.of(DEFAULT_STATE_PATH);
  public static final String DEFAULT_ALLOWED_ROOT_PATH = "/var/lib/kubelet/pods";
  public static final Path DEFAULT_ALLOWED_ROOT = Path.of(DEFAULT_ALLOWED_ROOT_PATH);
  public static final String DEFAULT_LOG_DIR_PATH = "/var/log/ossfuse";
  public static final Path DEFAULT_LOG_DIR = Path.of(DEFAULT_LOG_DIR_PATH);

  public DaemonConfig {
    socket = absolute(socket, "socket");
    stateFile = absolute(stateFile, "state file");
    allowedRoot = absolute(allowedRoot, "allowed root");
    logDir = absolute(logDir, "log dir");
    if (childMaxHeap == null || !childMaxHeap.matches("\\d+[kKmMgG]?")) {
      throw new IllegalArgumentException(
          "child max heap '" + childMaxHeap + "' is not a size: use e.g. 512m");
    }
    positive(probeInterval, "probe interval");
    positive(probeTimeout, "probe timeout");
    positive(startTimeout, "start timeout");
    positive(backoffBase, "backoff base");
    positive(backoffCap, "backoff cap");
    if (readTimeout != null) positive(readTimeout, "read timeout");
    if (probeFailures < 1)
      throw new IllegalArgumentException("probe failures must be >= 1, was " + probeFailures);
    if (socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
      throw new IllegalArgumentException(
          "socket path " + socket + " is longer than 107 bytes: pick a shorter path");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Where the daemon writes each mount's spec for its child. */
  Path specDir() {
    return stateFile.resolveSibling("mounts");
  }

  private static Path absolute(Path p, String field) {
    if (p == null) throw new IllegalArgumentException(field + " is missing");
    return p.toAbsolutePath().normalize();
  }

  private static void positive(Duration d, String field) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(field + " must be a positive duration, was " + d);
    }
  }

  /** Starts from the defaults. */
  public static final class Builder {
    private Path socket = DEFAULT_SOCKET;
    private Path stateFile = DEFAULT_STATE;
    private Path allowedRoot = DEFAULT_ALLOWED_ROOT;
    private Path logDir = DEFAULT_LOG_DIR;
    private String childMaxHeap = "512m";
    private String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private String classpath = absoluteClasspath(System.getProperty("java.class.path"));
    private Duration probeInterval = Duration.ofSeconds(2);
    private Duration probeTimeout = Duration.ofSeconds(3);
    private int probeFailures = 2;
    private Duration startTimeout = Duration.ofSeconds(30);
    private Duration backoffBase = Duration.ofMillis(500);
    private Duration backoffCap = Duration.ofSeconds(30);
    private Duration readTimeout;

    public Builder socket(Path v) {
      socket = v;
      return this;
    }

    public Builder stateFile(Path v) {
      stateFile = v;
      return this;
    }

    public Builder allowedRoot(Path v) {
      allowedRoot = v;
      return this;
    }

    public Builder logDir(Path v) {
      logDir = v;
      return this;
    }

    public Builder childMaxHeap(String v) {
      childMaxHeap = v;
      return this;
    }

    public Builder javaBin(String v) {
      javaBin = v;
      return this;
    }

    public Builder classpath(String v) {
      classpath = v;
      return this;
    }

    public Builder probeInterval(Duration v) {
      probeInterval = v;
      return this;
    }

    public Builder probeTimeout(Duration v) {
      probeTimeout = v;
      return this;
    }

    public Builder probeFailures(int v) {
      probeFailures = v;
      return this;
    }

    public Builder startTimeout(Duration v) {
      startTimeout = v;
      return this;
    }

    public Builder backoffBase(Duration v) {
      backoffBase = v;
      return this;
    }

    public Builder backoffCap(Duration v) {
      backoffCap = v;
      return this;
    }

    public Builder readTimeout(Duration v) {
      readTimeout = v;
      return this;
    }

    /** Children may run with another working directory: make every entry absolute. */
    static String absoluteClasspath(String cp) {
      StringBuilder b = new StringBuilder();
      for (String e : cp.split(java.io.File.pathSeparator)) {
        if (e.isEmpty()) continue;
        if (b.length() > 0) b.append(java.io.File.pathSeparatorChar);
        b.append(Path.of(e).toAbsolutePath().normalize());
      }
      return b.toString();
    }

    public DaemonConfig build() {
      return new DaemonConfig(
          socket,
          stateFile,
          allowedRoot,
          logDir,
          childMaxHeap,
          javaBin,
          classpath,
          probeInterval,
          probeTimeout,
          probeFailures,
          startTimeout,
          backoffBase,
          backoffCap,
          readTimeout);
    }
  }
}
