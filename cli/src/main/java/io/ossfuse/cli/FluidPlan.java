package io.ossfuse.cli;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.mount.MountSource;
import io.ossfuse.oss.SignatureVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What {@code ossfuse fluid} mounts for a {@link FluidConfig}: the {@link MountOptions} of the
 * mount at {@code targetPath}, plus the files they point at, written under {@code runDir}:
 *
 * <ul>
 *   <li>a {@code --cred-dir} per entry, {@code <runDir>/<name>/credentials/}: a symlink per secret
 *       option Fluid handed over as a file (so kubelet's Secret rotation reaches us, see
 *       SecretDirCredentialsProvider), a 0600 file per secret given inline; none when the entry has
 *       no keys (then the environment: AK/SK, RRSA or the ECS role);
 *   <li>{@code <runDir>/tieredstore.yaml} when the runtime option {@code tieredstore} holds the
 *       YAML itself, or the config carries a {@code tieredstore} block.
 * </ul>
 *
 * <p>Where each entry appears: a Dataset with one {@code mounts[]} entry is served at the root of
 * {@code targetPath}, whatever its {@code path} (Fluid's own single-mount rule). With several
 * entries each is a directory of the root, named after its {@code path} when that is {@code /x},
 * else after its {@code name} (Fluid's rule for several mounts), each with its own bucket, endpoint
 * and keys, all in one FUSE mount ({@link MountSource}): Fluid's CSI bind-mounts {@code targetPath}
 * non-recursively, so separate FUSE mounts under {@code targetPath/<name>} would never reach a pod.
 */
final class FluidPlan {
  static final String ENDPOINT = "fs.oss.endpoint";
  static final String ACCESS_KEY_ID = "fs.oss.accessKeyId";
  static final String ACCESS_KEY_SECRET = "fs.oss.accessKeySecret";
  static final String SECURITY_TOKEN = "fs.oss.securityToken";
  static final String REGION = "fs.oss.region";
  static final String SIGNATURE = "fs.oss.signatureVersion";
  static final List<String> SECRET_KEYS = List.of(ACCESS_KEY_ID, ACCESS_KEY_SECRET, SECURITY_TOKEN);
  private static final Set<String> MOUNT_KEYS =
      Set.of(ENDPOINT, ACCESS_KEY_ID, ACCESS_KEY_SECRET, SECURITY_TOKEN, REGION, SIGNATURE);

  /** ThinRuntime {@code spec.fuse.options} we understand; {@code ro} is what we are anyway. */
  static final Set<String> RUNTIME_KEYS =
      Set.of(
          "uid",
          "gid",
          "umask",
          "allow_other",
          "ro",
          "metadata-ttl",
          "negative-ttl",
          "transport",
          "tieredstore",
          ENDPOINT);

  private final MountOptions options;
  private final List<Entry> entries;
  private final String tieredstoreText;
  private final List<String> warnings;
  private final Path runDir;

  /**
   * One {@code mounts[]} entry, resolved.
   *
   * @param dir its directory at the root (several entries), or null (one entry: the root itself)
   * @param credDir where its keys go, or null (the environment)
   * @param files secret option → the file Fluid put the value in
   * @param values secret option → the value, when Fluid inlined it
   */
  private record Entry(
      FluidConfig.Mount mount,
      String dir,
      String endpoint,
      Path credDir,
      Map<String, String> files,
      Map<String, String> values,
      SignatureVersion signature) {
    MountSource source() {
      return new MountSource(
          dir,
          mount.mountPoint(),
          endpoint,
          credDir == null ? null : credDir.toString(),
          signature,
          mount.options().get(REGION));
    }
  }

  private FluidPlan(
      MountOptions options,
      List<Entry> entries,
      String tieredstoreText,
      List<String> warnings,
      Path runDir) {
    this.options = options;
    this.entries = entries;
    this.tieredstoreText = tieredstoreText;
    this.warnings = warnings;
    this.runDir = runDir;
  }

  /**
   * @param runDir where credential directories and the tieredstore file go (0700)
   * @param tieredstore a {@code --tieredstore} file that wins over the config, or null
   * @param transport the FUSE transport unless runtimeOptions name one
   */
  static FluidPlan of(FluidConfig c, Path runDir, Path tieredstore, String transport) {
    List<String> warnings = new ArrayList<>();
    for (String k : c.ignored()) warnings.add("ignoring unknown Fluid config field '" + k + "'");
    for (String m : c.accessModes()) {
      if (!m.equals("ReadOnlyMany")) {
        warnings.add(
            "the Dataset asks for " + m + "; ossfuse is read-only, writes fail with EROFS");
        break;
      }
    }
    Map<String, String> rt = c.runtimeOptions();
    for (String k : rt.keySet()) {
      if (!RUNTIME_KEYS.contains(k))
        warnings.add("ignoring runtime option '" + k + "' (ThinRuntime spec.fuse.options)");
    }
    boolean several = c.mounts().size() > 1;
    List<Entry> entries = new ArrayList<>();
    Set<String> dirs = new HashSet<>();
    for (FluidConfig.Mount m : c.mounts()) {
      Entry e = entry(m, several, c.targetPath(), rt, runDir, warnings);
      if (several && !dirs.add(e.dir())) {
        throw new IllegalArgumentException(
            "mounts '"
                + m.name()
                + "' and another one both want the directory /"
                + e.dir()
                + ": give them different names or paths");
      }
      entries.add(e);
    }
    Entry first = entries.get(0);
    MountOptions.Builder b =
        MountOptions.builder(first.mount().mountPoint(), c.targetPath(), first.endpoint())
            .credDir(first.credDir() == null ? null : first.credDir().toString())
            .transport(rt.getOrDefault("transport", transport))
            .region(first.mount().options().get(REGION))
            .signatureVersion(first.signature());
    if (several) b.sources(entries.stream().map(Entry::source).toList());
    List<String> fuse = new ArrayList<>();
    for (String k : List.of("uid", "gid", "umask"))
      if (rt.containsKey(k)) fuse.add(k + "=" + rt.get(k));
    if (rt.containsKey("allow_other") && !"false".equalsIgnoreCase(rt.get("allow_other")))
      fuse.add("allow_other");
    try {
      MountCommand.applyFuseOptions(fuse, b);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("runtime option " + e.getMessage().replace("-o ", ""));
    }
    if (rt.containsKey("metadata-ttl"))
      b.metadataTtlMillis(seconds(rt.get("metadata-ttl"), "metadata-ttl"));
    if (rt.containsKey("negative-ttl"))
      b.negativeTtlMillis(seconds(rt.get("negative-ttl"), "negative-ttl"));

    // The cache levels: --tieredstore, else the runtime option (a file in the container, or the
    // YAML
    // itself: ThinRuntime's own spec.tieredstore never reaches the FUSE config), else a block in
    // the config.
    String tsText = null;
    String rtTs = rt.get("tieredstore");
    if (tieredstore != null) {
      b.tieredstore(tieredstore.toAbsolutePath().toString());
    } else if (rtTs != null && rtTs.strip().startsWith("/")) {
      b.tieredstore(rtTs.strip());
    } else if (rtTs != null && !rtTs.isBlank()) {
      tsText = rtTs;
      b.tieredstore(runDir.resolve("tieredstore.yaml").toString());
    } else if (c.tieredstore() != null) {
      tsText = c.tieredstore().toString(); // JSON is YAML
      b.tieredstore(runDir.resolve("tieredstore.yaml").toString());
    }
    try {
      return new FluidPlan(b.build(), List.copyOf(entries), tsText, warnings, runDir);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Fluid config: " + e.getMessage(), e);
    }
  }

  /** Checks one entry and finds its endpoint, keys and (with several entries) its directory. */
  private static Entry entry(
      FluidConfig.Mount m,
      boolean several,
      String target,
      Map<String, String> rt,
      Path runDir,
      List<String> warnings) {
    if (!m.mountPoint().startsWith("oss://")) {
      throw new IllegalArgumentException(
          "mount '"
              + m.name()
              + "': mountPoint '"
              + m.mountPoint()
              + "' is not oss://bucket[/dir]; ossfuse serves OSS only");
    }
    String path = m.path() == null || m.path().isBlank() ? null : m.path().strip();
    String dir = null;
    if (!several) {
      if (path != null && !path.equals("/")) {
        warnings.add(
            "mount '"
                + m.name()
                + "' has path "
                + path
                + "; as the Dataset's only mount it is served at the root of "
                + target);
      }
    } else if (path != null && path.matches("/[^/]+")) {
      dir = path.substring(1);
    } else {
      if (path != null && path.equals("/")) {
        throw new IllegalArgumentException(
            "mount '"
                + m.name()
                + "' has path / but the Dataset has several mounts: "
                + "each needs its own directory (drop path, or give /"
                + m.name()
                + ")");
      }
      if (path != null)
        warnings.add(
            "mount '" + m.name() + "' has path " + path + "; it is served at /" + m.name());
      dir = m.name();
    }
    for (String k : m.options().keySet()) {
      if (!MOUNT_KEYS.contains(k) && !m.encryptOptions().containsKey(k))
        warnings.add("ignoring option '" + k + "' of mount '" + m.name() + "'");
    }
    for (String k : m.encryptOptions().keySet()) {
      if (!SECRET_KEYS.contains(k))
        warnings.add("ignoring encryptOption '" + k + "' of mount '" + m.name() + "'");
    }
    // Secrets: an encryptOptions file, an option naming a file (Fluid's ConfigMap storage), or an
    // inline value.
    Map<String, String> files = new LinkedHashMap<>();
    Map<String, String> values = new LinkedHashMap<>();
    for (String k : SECRET_KEYS) {
      String v = m.encryptOptions().containsKey(k) ? m.encryptOptions().get(k) : m.options().get(k);
      if (v == null || v.isBlank()) continue;
      if (m.encryptOptions().containsKey(k) || v.startsWith("/")) files.put(k, v.strip());
      else values.put(k, v.strip());
    }
    boolean hasId = files.containsKey(ACCESS_KEY_ID) || values.containsKey(ACCESS_KEY_ID);
    boolean hasSecret =
        files.containsKey(ACCESS_KEY_SECRET) || values.containsKey(ACCESS_KEY_SECRET);
    if (hasId != hasSecret) {
      throw new IllegalArgumentException(
          "mount '"
              + m.name()
              + "' has "
              + (hasId
                  ? ACCESS_KEY_ID + " but no " + ACCESS_KEY_SECRET
                  : ACCESS_KEY_SECRET + " but no " + ACCESS_KEY_ID)
              + ": give both (encryptOptions from one Secret)");
    }
    Path credDir = hasId ? runDir.resolve(slug(m.name())).resolve("credentials") : null;
    String endpoint = m.options().getOrDefault(ENDPOINT, rt.get(ENDPOINT));
    if (endpoint == null || endpoint.isBlank()) {
      throw new IllegalArgumentException(
          "mount '"
              + m.name()
              + "' has no "
              + ENDPOINT
              + " option: add it to the Dataset's mounts[].options, e.g. https://oss-cn-hangzhou-internal.aliyuncs.com");
    }
    SignatureVersion sig = SignatureVersion.V1;
    String sv = m.options().get(SIGNATURE);
    if (sv != null) {
      try {
        sig = SignatureVersion.valueOf(sv.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "mount '" + m.name() + "': " + SIGNATURE + " '" + sv + "' is not V1 or V4");
      }
    }
    return new Entry(m, dir, endpoint.strip(), credDir, files, values, sig);
  }

  private static long seconds(String v, String key) {
    try {
      double s = Double.parseDouble(v.strip());
      if (s < 0 || Double.isNaN(s)) throw new NumberFormatException();
      return Math.round(s * 1000);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "runtime option " + key + " needs seconds >= 0, got '" + v + "'");
    }
  }

  /** A directory name from a mounts[] name. */
  static String slug(String name) {
    String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
    return s.isEmpty() || s.startsWith(".") ? "m" + s : s;
  }

  MountOptions options() {
    return options;
  }

  /** What to log once at start: unknown fields and options (names only, never values). */
  List<String> warnings() {
    return warnings;
  }

  /**
   * Writes the credential directory and the tieredstore file; IllegalArgumentException (one line)
   * on failure.
   */
  void prepare() {
    try {
      Files.createDirectories(runDir);
      Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwx------"));
      for (Entry e : entries) if (e.credDir() != null) writeCredentials(e);
      if (tieredstoreText != null) {
        Path f = Path.of(options.tieredstore());
        Path tmp = f.resolveSibling(".tieredstore.yaml.tmp");
        Files.writeString(tmp, tieredstoreText, StandardCharsets.UTF_8);
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      }
      // A mount left there by the previous container answers stat with ENOTCONN: the daemon deals
      // with it.
      Path target = Path.of(options.mountpoint());
      if (!MountInfo.isMounted(target) && !Files.exists(target, LinkOption.NOFOLLOW_LINKS))
        Files.createDirectories(target);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot prepare " + runDir + " for the Fluid mount: " + e.getMessage());
    }
  }

  /** Links or writes one entry's key files into its credential directory (0700). */
  private static void writeCredentials(Entry e) throws IOException {
    Path dir = Files.createDirectories(e.credDir());
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    for (String k : SECRET_KEYS) Files.deleteIfExists(dir.resolve(k));
    for (var f : e.files().entrySet()) {
      Path target = Path.of(f.getValue());
      if (!Files.isRegularFile(target)) {
        throw new IllegalArgumentException(
            "secret option "
                + f.getKey()
                + " of mount '"
                + e.mount().name()
                + "' names "
                + target
                + ", which is not a file: check the Dataset's encryptOptions (Fluid mounts each Secret under "
                + FluidConfig.SECRETS_ROOT
                + "/<secret>/)");
      }
      Files.createSymbolicLink(dir.resolve(f.getKey()), target);
    }
    for (var v : e.values().entrySet()) {
      Path tmp = dir.resolve("." + v.getKey() + ".tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, v.getValue(), StandardCharsets.UTF_8);
      Files.move(
          tmp,
          dir.resolve(v.getKey()),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
