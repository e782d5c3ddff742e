package io.ossfuse.cli;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.oss.SignatureVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What {@code ossfuse fluid} mounts for a {@link FluidConfig}: the {@link MountOptions} of the mount
 * at {@code targetPath}, plus the files they point at, written under {@code runDir}:
 * <ul>
 *   <li>a {@code --cred-dir} per entry, {@code <runDir>/<name>/credentials/}: a symlink per secret
 *       option Fluid handed over as a file (so kubelet's Secret rotation reaches us, see
 *       SecretDirCredentialsProvider), a 0600 file per secret given inline; none when the entry has no
 *       keys (then the environment: AK/SK, RRSA or the ECS role);</li>
 *   <li>{@code <runDir>/tieredstore.yaml} when the runtime option {@code tieredstore} holds the YAML
 *       itself, or the config carries a {@code tieredstore} block.</li>
 * </ul>
 *
 * <p>One source per runtime: a Dataset with one {@code mounts[]} entry is served at the root of
 * {@code targetPath}, whatever its {@code path} (what Fluid's own single-mount rule does, and what
 * Fluid's CSI needs: it bind-mounts {@code targetPath} non-recursively, so separate FUSE mounts under
 * {@code targetPath/<name>} would never reach a pod). Several entries need a root directory whose
 * children are separate sources inside one FUSE mount; that is a follow-up (docs/OPERATIONS.md), and
 * such a config is refused with one line.
 */
final class FluidPlan {
    static final String ENDPOINT = "fs.oss.endpoint";
    static final String ACCESS_KEY_ID = "fs.oss.accessKeyId";
    static final String ACCESS_KEY_SECRET = "fs.oss.accessKeySecret";
    static final String SECURITY_TOKEN = "fs.oss.securityToken";
    static final String REGION = "fs.oss.region";
    static final String SIGNATURE = "fs.oss.signatureVersion";
    static final List<String> SECRET_KEYS = List.of(ACCESS_KEY_ID, ACCESS_KEY_SECRET, SECURITY_TOKEN);
    private static final Set<String> MOUNT_KEYS = Set.of(ENDPOINT, ACCESS_KEY_ID, ACCESS_KEY_SECRET, SECURITY_TOKEN, REGION, SIGNATURE);
    /** ThinRuntime {@code spec.fuse.options} we understand; {@code ro} is what we are anyway. */
    static final Set<String> RUNTIME_KEYS = Set.of("uid", "gid", "umask", "allow_other", "ro", "metadata-ttl", "negative-ttl",
            "transport", "tieredstore", ENDPOINT);

    private final MountOptions options;
    private final Map<String, String> credentialFiles;
    private final Map<String, String> credentialValues;
    private final String tieredstoreJson;
    private final List<String> warnings;
    private final Path runDir;

    private FluidPlan(MountOptions options, Map<String, String> credentialFiles, Map<String, String> credentialValues,
                      String tieredstoreJson, List<String> warnings, Path runDir) {
        this.options = options;
        this.credentialFiles = credentialFiles;
        this.credentialValues = credentialValues;
        this.tieredstoreJson = tieredstoreJson;
        this.warnings = warnings;
        this.runDir = runDir;
    }

    /**
     * @param runDir      where credential directories and the tieredstore file go (0700)
     * @param tieredstore a {@code --tieredstore} file that wins over the config, or null
     * @param transport   the FUSE transport unless runtimeOptions name one
     */
    static FluidPlan of(FluidConfig c, Path runDir, Path tieredstore, String transport) {
        List<String> warnings = new ArrayList<>();
        for (String k : c.ignored()) warnings.add("ignoring unknown Fluid config field '" + k + "'");
        for (String m : c.accessModes()) {
            if (!m.equals("ReadOnlyMany")) {
                warnings.add("the Dataset asks for " + m + "; ossfuse is read-only, writes fail with EROFS");
                break;
            }
        }
        if (c.mounts().size() > 1) {
            throw new IllegalArgumentException("the Dataset has " + c.mounts().size() + " mounts ("
                    + String.join(", ", c.mounts().stream().map(FluidConfig.Mount::name).toList())
                    + "): ossfuse serves one OSS source per ThinRuntime for now; make one Dataset per source");
        }
        FluidConfig.Mount m = c.mounts().get(0);
        if (!m.mountPoint().startsWith("oss://")) {
            throw new IllegalArgumentException("mount '" + m.name() + "': mountPoint '" + m.mountPoint()
                    + "' is not oss://bucket[/dir]; ossfuse serves OSS only");
        }
        if (m.path() != null && !m.path().isBlank() && !m.path().equals("/")) {
            warnings.add("mount '" + m.name() + "' has path " + m.path() + "; it is served at the root of " + c.targetPath()
                    + " (one source per runtime)");
        }
        for (String k : m.options().keySet()) {
            if (!MOUNT_KEYS.contains(k) && !m.encryptOptions().containsKey(k)) warnings.add("ignoring option '" + k + "' of mount '" + m.name() + "'");
        }
        for (String k : m.encryptOptions().keySet()) {
            if (!SECRET_KEYS.contains(k)) warnings.add("ignoring encryptOption '" + k + "' of mount '" + m.name() + "'");
        }
        Map<String, String> rt = c.runtimeOptions();
        for (String k : rt.keySet()) {
            if (!RUNTIME_KEYS.contains(k)) warnings.add("ignoring runtime option '" + k + "' (ThinRuntime spec.fuse.options)");
        }

        // Secrets: an encryptOptions file, an option naming a file (Fluid's ConfigMap storage), or an inline value.
        Map<String, String> files = new LinkedHashMap<>();
        Map<String, String> values = new LinkedHashMap<>();
        for (String k : SECRET_KEYS) {
            String v = m.encryptOptions().containsKey(k) ? m.encryptOptions().get(k) : m.options().get(k);
            if (v == null || v.isBlank()) continue;
            if (m.encryptOptions().containsKey(k) || v.startsWith("/")) files.put(k, v.strip());
            else values.put(k, v.strip());
        }
        boolean hasId = files.containsKey(ACCESS_KEY_ID) || values.containsKey(ACCESS_KEY_ID);
        boolean hasSecret = files.containsKey(ACCESS_KEY_SECRET) || values.containsKey(ACCESS_KEY_SECRET);
        if (hasId != hasSecret) {
            throw new IllegalArgumentException("mount '" + m.name() + "' has " + (hasId ? ACCESS_KEY_ID + " but no " + ACCESS_KEY_SECRET
                    : ACCESS_KEY_SECRET + " but no " + ACCESS_KEY_ID) + ": give both (encryptOptions from one Secret)");
        }
        Path credDir = hasId ? runDir.resolve(slug(m.name())).resolve("credentials") : null;

        String endpoint = m.options().getOrDefault(ENDPOINT, rt.get(ENDPOINT));
        if (endpoint == null || endpoint.isBlank()) {
            throw new IllegalArgumentException("mount '" + m.name() + "' has no " + ENDPOINT
                    + " option: add it to the Dataset's mounts[].options, e.g. https://oss-cn-hangzhou-internal.aliyuncs.com");
        }
        MountOptions.Builder b = MountOptions.builder(m.mountPoint(), c.targetPath(), endpoint.strip())
                .credDir(credDir == null ? null : credDir.toString())
                .transport(rt.getOrDefault("transport", transport))
                .region(m.options().get(REGION));
        String sig = m.options().get(SIGNATURE);
        if (sig != null) {
            try {
                b.signatureVersion(SignatureVersion.valueOf(sig.strip().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("mount '" + m.name() + "': " + SIGNATURE + " '" + sig + "' is not V1 or V4");
            }
        }
        List<String> fuse = new ArrayList<>();
        for (String k : List.of("uid", "gid", "umask")) if (rt.containsKey(k)) fuse.add(k + "=" + rt.get(k));
        if (rt.containsKey("allow_other") && !"false".equalsIgnoreCase(rt.get("allow_other"))) fuse.add("allow_other");
        try {
            MountCommand.applyFuseOptions(fuse, b);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("runtime option " + e.getMessage().replace("-o ", ""));
        }
        if (rt.containsKey("metadata-ttl")) b.metadataTtlMillis(seconds(rt.get("metadata-ttl"), "metadata-ttl"));
        if (rt.containsKey("negative-ttl")) b.negativeTtlMillis(seconds(rt.get("negative-ttl"), "negative-ttl"));

        // The cache levels: --tieredstore, else the runtime option (a file in the container, or the YAML
        // itself: ThinRuntime's own spec.tieredstore never reaches the FUSE config), else a block in the config.
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
            tsText = c.tieredstore().toString();   // JSON is YAML
            b.tieredstore(runDir.resolve("tieredstore.yaml").toString());
        }
        return new FluidPlan(b.build(), files, values, tsText, warnings, runDir);
    }

    private static long seconds(String v, String key) {
        try {
            double s = Double.parseDouble(v.strip());
            if (s < 0 || Double.isNaN(s)) throw new NumberFormatException();
            return Math.round(s * 1000);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("runtime option " + key + " needs seconds >= 0, got '" + v + "'");
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

    /** Writes the credential directory and the tieredstore file; IllegalArgumentException (one line) on failure. */
    void prepare() {
        try {
            Files.createDirectories(runDir);
            Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwx------"));
            if (options.credDir() != null) {
                Path dir = Files.createDirectories(Path.of(options.credDir()));
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
                for (String k : SECRET_KEYS) Files.deleteIfExists(dir.resolve(k));
                for (var e : credentialFiles.entrySet()) {
                    Path target = Path.of(e.getValue());
                    if (!Files.isRegularFile(target)) {
                        throw new IllegalArgumentException("secret option " + e.getKey() + " names " + target
                                + ", which is not a file: check the Dataset's encryptOptions (Fluid mounts each Secret under "
                                + FluidConfig.SECRETS_ROOT + "/<secret>/)");
                    }
                    Files.createSymbolicLink(dir.resolve(e.getKey()), target);
                }
                for (var e : credentialValues.entrySet()) {
                    Path tmp = dir.resolve("." + e.getKey() + ".tmp");
                    Files.deleteIfExists(tmp);
                    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    Files.writeString(tmp, e.getValue(), StandardCharsets.UTF_8);
                    Files.move(tmp, dir.resolve(e.getKey()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (tieredstoreJson != null) {
                Path f = Path.of(options.tieredstore());
                Path tmp = f.resolveSibling(".tieredstore.yaml.tmp");
                Files.writeString(tmp, tieredstoreJson, StandardCharsets.UTF_8);
                Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            // A mount left there by the previous container answers stat with ENOTCONN: the daemon deals with it.
            Path target = Path.of(options.mountpoint());
            if (!MountInfo.isMounted(target) && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) Files.createDirectories(target);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot prepare " + runDir + " for the Fluid mount: " + e.getMessage());
        }
    }
}
