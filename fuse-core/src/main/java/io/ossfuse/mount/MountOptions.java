package io.ossfuse.mount;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ossfuse.fs.FsOptions;
import io.ossfuse.oss.OssUri;
import io.ossfuse.oss.SignatureVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything needed to (re)create one mount. Immutable, validated where built (messages name the
 * field and the fix), and JSON-serialisable with Jackson ({@link #toJson()}/{@link #fromJson}); the
 * watchdog keeps it in its state file. Holds no secrets: credentials come from {@code credDir} or
 * the environment when the mount is opened.
 *
 * @param source {@code oss://bucket[/dir]}
 * @param mountpoint absolute path of the mount point
 * @param endpoint {@code fs.oss.endpoint}
 * @param credDir directory with {@code fs.oss.accessKeyId}/{@code fs.oss.accessKeySecret}; null =
 *     environment
 * @param uid owner shown for every file
 * @param gid group shown for every file
 * @param umask cleared from 0444/0555
 * @param allowOther FUSE {@code allow_other}
 * @param tieredstore tiered-cache YAML file; null = the in-heap default cache
 * @param metadataTtlMillis how long metadata is cached (and the kernel's attr/entry timeout)
 * @param negativeTtlMillis how long "no such file" is cached
 * @param signatureVersion V1 (default) or V4
 * @param region the region for V4, else null
 * @param stateDir where the inode table persists; null = in memory only
 * @param transport the FUSE transport name ("jnr" default)
 * @param readTimeoutMillis a read with no complete answer from OSS this long fails with EIO; 0 =
 *     the default ({@code OSSFUSE_READ_TIMEOUT} of the serving process, else 20 s)
 * @param sources more than one source: each a directory of the root named after it; then {@code
 *     source}/{@code endpoint}/{@code credDir} repeat the first one (empty = one source)
 * @param passthrough false: never hand the kernel a cached whole-object file (FUSE passthrough);
 *     null or true: do when the kernel can ({@code -o passthrough=off|on})
 * @param prefetchSmallFiles after a complete listing, fetch up to this many of the directory's
 *     small files into the cache ({@code -o prefetch_small_files=N}); 0 = off (the default)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MountOptions(
    String source,
    String mountpoint,
    String endpoint,
    String credDir,
    int uid,
    int gid,
    int umask,
    boolean allowOther,
    String tieredstore,
    long metadataTtlMillis,
    long negativeTtlMillis,
    SignatureVersion signatureVersion,
    String region,
    String stateDir,
    String transport,
    long readTimeoutMillis,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<MountSource> sources,
    @JsonInclude(JsonInclude.Include.NON_NULL) Boolean passthrough,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) int prefetchSmallFiles) {

  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public MountOptions {
    OssUri.parse(source); // throws with a one-line message
    if (mountpoint == null || mountpoint.isBlank())
      throw new IllegalArgumentException("missing mountpoint");
    if (!Path.of(mountpoint).isAbsolute()) {
      throw new IllegalArgumentException(
          "mountpoint must be an absolute path, got '" + mountpoint + "'");
    }
    if (endpoint == null || endpoint.isBlank()) {
      throw new IllegalArgumentException(
          "missing endpoint: pass --endpoint URL (fs.oss.endpoint), e.g. https://oss-cn-hangzhou.aliyuncs.com");
    }
    if (uid < 0) throw new IllegalArgumentException("uid must be >= 0, got " + uid);
    if (gid < 0) throw new IllegalArgumentException("gid must be >= 0, got " + gid);
    if (umask < 0 || umask > 0777)
      throw new IllegalArgumentException(
          "umask must be octal 000..777, got " + Integer.toOctalString(umask));
    if (metadataTtlMillis < 0) throw new IllegalArgumentException("metadata TTL must be >= 0");
    if (negativeTtlMillis < 0) throw new IllegalArgumentException("negative TTL must be >= 0");
    if (signatureVersion == null) signatureVersion = SignatureVersion.V1;
    if (signatureVersion == SignatureVersion.V4 && (region == null || region.isBlank())) {
      throw new IllegalArgumentException(
          "signature V4 needs a region: add --region (e.g. cn-hangzhou)");
    }
    if (transport == null || transport.isBlank()) transport = FuseTransports.JNR;
    if (readTimeoutMillis < 0)
      throw new IllegalArgumentException("read timeout must be >= 0 (0 = the default)");
    sources = sources == null ? List.of() : List.copyOf(sources);
    if (prefetchSmallFiles < 0 || prefetchSmallFiles > FsOptions.MAX_PREFETCH_SMALL_FILES) {
      throw new IllegalArgumentException(
          "prefetch_small_files must be 0.."
              + FsOptions.MAX_PREFETCH_SMALL_FILES
              + " files, got "
              + prefetchSmallFiles);
    }
    Set<String> names = new HashSet<>();
    for (MountSource m : sources) {
      if (!names.add(m.name()))
        throw new IllegalArgumentException(
            "two sources are named '" + m.name() + "': names must differ");
    }
  }

  public OssUri ossUri() {
    return OssUri.parse(source);
  }

  public FsOptions fsOptions() {
    return FsOptions.defaults()
        .withOwner(uid, gid)
        .withUmask(umask)
        .withTtls(Duration.ofMillis(metadataTtlMillis), Duration.ofMillis(negativeTtlMillis))
        // only the raw transport can hand the kernel a file: with jnr a whole-object file would
        // only be a second format of the same bytes
        .withPassthrough(passthroughEnabled() && !FuseTransports.JNR.equals(transport))
        .withPrefetchSmallFiles(prefetchSmallFiles);
  }

  /** FUSE passthrough of cached objects: on unless turned off. */
  public boolean passthroughEnabled() {
    return passthrough == null || passthrough;
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses and validates; IllegalArgumentException with a one-line message when invalid. */
  public static MountOptions fromJson(String json) {
    try {
      return JSON.readValue(json, MountOptions.class);
    } catch (JsonProcessingException e) {
      Throwable c = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
      throw new IllegalArgumentException(
          "invalid mount options: " + c.getMessage().lines().findFirst().orElse(""), e);
    }
  }

  public static Builder builder(String source, String mountpoint, String endpoint) {
    return new Builder(source, mountpoint, endpoint);
  }

  public Builder toBuilder() {
    return toBuilder(source, endpoint);
  }

  /** A builder with everything but the source and endpoint copied. */
  public Builder toBuilder(String source, String endpoint) {
    Builder b = new Builder(source, mountpoint, endpoint);
    b.credDir = credDir;
    b.uid = uid;
    b.gid = gid;
    b.umask = umask;
    b.allowOther = allowOther;
    b.tieredstore = tieredstore;
    b.metadataTtlMillis = metadataTtlMillis;
    b.negativeTtlMillis = negativeTtlMillis;
    b.signatureVersion = signatureVersion;
    b.region = region;
    b.stateDir = stateDir;
    b.transport = transport;
    b.readTimeoutMillis = readTimeoutMillis;
    b.sources = sources;
    b.passthrough = passthrough;
    b.prefetchSmallFiles = prefetchSmallFiles;
    return b;
  }

  /** Defaults: root:root, umask 022, no allow_other, TTLs 30 s / 5 s, V1, jnr, no state dir. */
  public static final class Builder {
    private final String source, mountpoint, endpoint;
    private String credDir, tieredstore, region, stateDir, transport = FuseTransports.JNR;
    private int uid, gid, umask = 0022;
    private boolean allowOther;
    private long metadataTtlMillis = FsOptions.DEFAULT_METADATA_TTL.toMillis();
    private long negativeTtlMillis = FsOptions.DEFAULT_NEGATIVE_TTL.toMillis();
    private long readTimeoutMillis;
    private SignatureVersion signatureVersion = SignatureVersion.V1;
    private List<MountSource> sources = List.of();
    private Boolean passthrough;
    private int prefetchSmallFiles;

    private Builder(String source, String mountpoint, String endpoint) {
      this.source = source;
      this.mountpoint = mountpoint;
      this.endpoint = endpoint;
    }

    public Builder credDir(String v) {
      credDir = v;
      return this;
    }

    public Builder uid(int v) {
      uid = v;
      return this;
    }

    public Builder gid(int v) {
      gid = v;
      return this;
    }

    public Builder umask(int v) {
      umask = v;
      return this;
    }

    public Builder allowOther(boolean v) {
      allowOther = v;
      return this;
    }

    public Builder tieredstore(String v) {
      tieredstore = v;
      return this;
    }

    public Builder metadataTtlMillis(long v) {
      metadataTtlMillis = v;
      return this;
    }

    public Builder negativeTtlMillis(long v) {
      negativeTtlMillis = v;
      return this;
    }

    public Builder signatureVersion(SignatureVersion v) {
      signatureVersion = v;
      return this;
    }

    public Builder region(String v) {
      region = v;
      return this;
    }

    public Builder stateDir(String v) {
      stateDir = v;
      return this;
    }

    public Builder transport(String v) {
      transport = v;
      return this;
    }

    public Builder readTimeoutMillis(long v) {
      readTimeoutMillis = v;
      return this;
    }

    public Builder sources(List<MountSource> v) {
      sources = v;
      return this;
    }

    public Builder passthrough(Boolean v) {
      passthrough = v;
      return this;
    }

    public Builder prefetchSmallFiles(int v) {
      prefetchSmallFiles = v;
      return this;
    }

    public MountOptions build() {
      return new MountOptions(
          source,
          mountpoint,
          endpoint,
          credDir,
          uid,
          gid,
          umask,
          allowOther,
          tieredstore,
          metadataTtlMillis,
          negativeTtlMillis,
          signatureVersion,
          region,
          stateDir,
          transport,
          readTimeoutMillis,
          sources,
          passthrough,
          prefetchSmallFiles);
    }
  }
}
