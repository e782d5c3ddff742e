package io.ossfuse.localoss;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small OSS-compatible HTTP endpoint serving buckets from local directories, for tests, the demo
 * and benchmarks. Each subdirectory of {@link Builder#root(Path)} with a valid bucket name is a
 * bucket, and {@link Builder#bucket(String, Path)} maps any other directory to a bucket name; an
 * object key is the file's path relative to the bucket directory (see {@code BucketStore} for
 * "dir/" markers). Server state (explicit markers, upload temp files) lives in {@code
 * <root>/.localoss}, or in a temporary directory removed on close when no root is set.
 *
 * <p>Speaks what aliyun-sdk-oss 3.18.1 and ossfuse use: ListObjects (V1 and V2), HeadObject,
 * GetObject with Range and If-Match/If-None-Match, GetBucketInfo/Location/Acl, HEAD bucket,
 * ListBuckets, PutObject, DeleteObject, PUT bucket. Requests must be signed (V1, V4, or presigned
 * URLs of either) with the configured key, and carry the configured STS token if one was set.
 *
 * <pre>{@code
 * try (LocalOssServer oss = LocalOssServer.builder().root(dir).bucket("demo")
 *         .credentials("ak", "sk").build().start()) {
 *     OSS client = new OSSClientBuilder().build(oss.endpoint(), "ak", "sk");
 *     ...
 *     oss.faults().next(1).op(OssOperation.GET).status(503);
 *     assertEquals(2, oss.counters().gets());
 * }
 * }</pre>
 *
 * <p>Binds 127.0.0.1 unless told otherwise; a non-loopback address is refused unless {@link
 * Builder#allowNonLoopback(boolean)} is set.
 *
 * <p>About 450 lines, most of it the builder of a test endpoint's many options.
 */
public final class LocalOssServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalOssServer.class);

  private enum State {
    NEW,
    RUNNING,
    CLOSED
  }

  private final BucketRegistry buckets;
  private final ServerIdentity identity;
  private final InetAddress bindAddress;
  private final int requestedPort;
  private final int threads;
  private final String accessKeyId;
  private final String accessKeySecret;
  private final String securityToken;
  private final Faults faults = new Faults();
  private final Counters counters = new Counters();
  private final Authenticator auth;
  private final ETags etags;
  private final RemoteProfile profile;
  private State state = State.NEW;
  private HttpServer server;
  private ExecutorService executor;

  private LocalOssServer(Builder b, BucketRegistry buckets) {
    this.bindAddress = b.bindAddress;
    this.requestedPort = b.port;
    this.threads = b.maxThreads;
    this.accessKeyId = b.accessKeyId;
    this.accessKeySecret = b.accessKeySecret;
    this.securityToken = b.securityToken;
    this.buckets = buckets;
    this.identity = new ServerIdentity(b.bindAddress, b.region, b.clock);
    this.auth =
        new Authenticator(
            b.accessKeyId, b.accessKeySecret, b.securityToken, b.anonymousRead, b.clock);
    this.etags = new ETags(b.etagMode);
    this.profile = b.profile;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Binds and starts serving; returns this for chaining. */
  public synchronized LocalOssServer start() throws IOException {
    if (state != State.NEW) {
      throw new IllegalStateException("local-oss server was already started (state " + state + ")");
    }
    // Without TCP_NODELAY a small answer written in two parts (headers, body) waits ~40 ms for the
    // client's delayed ACK (Nagle). The JDK reads this once, when its first HttpServer is made.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    HttpServer s = HttpServer.create(new InetSocketAddress(bindAddress, requestedPort), 256);
    AtomicInteger n = new AtomicInteger();
    // Handlers block on file and socket I/O; one thread per in-flight request keeps 32 readers
    // parallel.
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            0,
            threads,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "local-oss-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.CallerRunsPolicy());
    var context = s.createContext("/", new OperationDispatcher(buckets, identity, etags, counters));
    var filters = context.getFilters();
    if (!profile.firstByteLatency().isZero())
      filters.add(new FirstByteLatencyFilter(profile.firstByteLatency()));
    if (profile.bytesPerSecond() > 0) filters.add(new BandwidthCapFilter(profile.bytesPerSecond()));
    // In request order: the first answers the errors of all after it.
    filters.add(new ErrorAnswerFilter(identity, counters));
    filters.add(new InjectedLatencyFilter(faults));
    filters.add(new RoutingFilter(identity));
    filters.add(new AuthFilter(auth, counters));
    filters.add(new FaultInjectionFilter(faults, counters));
    s.setExecutor(pool);
    s.start();
    server = s;
    executor = pool;
    state = State.RUNNING;
    identity.markStarted();
    LOG.info("{}", this);
    return this;
  }

  /** Stops at once: open connections are closed, in-flight answers are cut. Idempotent. */
  @Override
  public synchronized void close() {
    if (state != State.RUNNING) {
      state = State.CLOSED;
      return;
    }
    state = State.CLOSED;
    server.stop(0);
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warn("local-oss: request threads still running 5 s after close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    buckets.deleteStateIfOwned();
  }

  /** The bound port (the ephemeral one if 0 was requested). */
  public synchronized int port() {
    if (server == null) {
      throw new IllegalStateException("local-oss server is not started; call start() first");
    }
    return server.getAddress().getPort();
  }

  /** E.g. "http://127.0.0.1:40123": what {@code fs.oss.endpoint} and OSSClientBuilder take. */
  public String endpoint() {
    String host = identity.hostText;
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
  }

  public String accessKeyId() {
    return accessKeyId;
  }

  /** The secret. Meant for building test clients; never log it. */
  public String accessKeySecret() {
    return accessKeySecret;
  }

  /** The STS token requests must carry, or null when none is required. */
  public String securityToken() {
    return securityToken;
  }

  /** The region V4 clients should sign for, e.g. "cn-hangzhou" (any region is accepted). */
  public String region() {
    return identity.region;
  }

  /**
   * The root directory, or null when only {@link Builder#bucket(String, Path)} mappings are served.
   */
  public Path root() {
    return buckets.root;
  }

  /**
   * The directory backing {@code bucket}: its mapping, else {@code root/bucket} (which may not
   * exist yet).
   */
  public Path bucketDir(String bucket) {
    Path mapped = buckets.mapped.get(bucket);
    if (mapped != null) {
      return mapped;
    }
    if (buckets.root == null) {
      throw new IllegalArgumentException(
          "bucket '" + bucket + "' is not mapped and no root is set");
    }
    return buckets.root.resolve(bucket);
  }

  /** Bucket names currently served (mapped buckets and valid-named subdirectories of the root). */
  public List<String> buckets() {
    return buckets.bucketNames();
  }

  public Faults faults() {
    return faults;
  }

  /** The modelled distance to the client: bandwidth cap and first-byte latency. */
  public RemoteProfile remoteProfile() {
    return profile;
  }

  public Counters counters() {
    return counters;
  }

  /**
   * One line for humans, including the secret (for trying a mount by hand); do not send it to logs.
   * Use {@link #toString()} for logs.
   */
  public String banner() {
    return "local-oss endpoint="
        + endpoint()
        + " bucket="
        + String.join(",", buckets())
        + " accessKeyId="
        + accessKeyId
        + " accessKeySecret="
        + accessKeySecret
        + (securityToken != null ? " securityToken=" + securityToken : "")
        + " region="
        + identity.region
        + (buckets.root != null ? " root=" + buckets.root : "")
        + (profile.isNone() ? "" : " profile=" + profile.toString().replace(' ', '_'));
  }

  @Override
  public synchronized String toString() {
    return "LocalOssServer["
        + (state == State.RUNNING ? endpoint() : state.toString().toLowerCase())
        + ", buckets="
        + buckets()
        + ", accessKeyId="
        + accessKeyId
        + (buckets.root != null ? ", root=" + buckets.root : "")
        + "]";
  }

  /**
   * Configures a {@link LocalOssServer}; {@link #build()} validates and names the field at fault.
   */
  public static final class Builder {
    private Path root;
    private final Set<String> buckets = new LinkedHashSet<>();
    private final Map<String, Path> mapped = new LinkedHashMap<>();
    private String accessKeyId;
    private String accessKeySecret;
    private String securityToken;
    private InetAddress bindAddress = InetAddress.getLoopbackAddress();
    private boolean allowNonLoopback;
    private int port;
    private String region = "cn-hangzhou";
    private boolean anonymousRead;
    private ETagMode etagMode = ETagMode.AUTO;
    private Clock clock = Clock.systemUTC();
    private int maxThreads = 256;
    private RemoteProfile profile = RemoteProfile.NONE;

    private Builder() {}

    /** Directory whose subdirectories are the buckets; created if missing. */
    public Builder root(Path root) {
      this.root = Objects.requireNonNull(root, "root");
      return this;
    }

    /**
     * A bucket to create (as an empty directory under the root) if it does not exist. Repeatable.
     */
    public Builder bucket(String name) {
      buckets.add(Objects.requireNonNull(name, "bucket"));
      return this;
    }

    /**
     * Serves {@code dir} (created if missing) as bucket {@code name}, independent of the root, e.g.
     * {@code ossfuse local-oss --dir DIR --bucket NAME}. Repeatable.
     */
    public Builder bucket(String name, Path dir) {
      mapped.put(Objects.requireNonNull(name, "bucket"), Objects.requireNonNull(dir, "dir"));
      return this;
    }

    /**
     * The one access key the server accepts. Default: a random pair, see {@link
     * LocalOssServer#accessKeyId()}.
     */
    public Builder credentials(String accessKeyId, String accessKeySecret) {
      this.accessKeyId = Objects.requireNonNull(accessKeyId, "accessKeyId");
      this.accessKeySecret = Objects.requireNonNull(accessKeySecret, "accessKeySecret");
      return this;
    }

    /** Requires every signed request to carry this STS token (x-oss-security-token). */
    public Builder securityToken(String token) {
      this.securityToken = token;
      return this;
    }

    /** Default 127.0.0.1. A non-loopback address also needs {@link #allowNonLoopback(boolean)}. */
    public Builder bindAddress(InetAddress address) {
      this.bindAddress = Objects.requireNonNull(address, "bindAddress");
      return this;
    }

    /** Like {@link #bindAddress(InetAddress)}, from an IP literal or host name. */
    public Builder bindAddress(String address) {
      try {
        return bindAddress(InetAddress.getByName(Objects.requireNonNull(address, "bindAddress")));
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(
            "bindAddress: cannot resolve '"
                + address
                + "'; use an IP"
                + " literal such as 127.0.0.1",
            e);
      }
    }

    /** Permits binding a non-loopback address (the server has no TLS and test-grade auth). */
    public Builder allowNonLoopback(boolean allow) {
      this.allowNonLoopback = allow;
      return this;
    }

    /** 0 (default) picks a free ephemeral port; see {@link LocalOssServer#port()}. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Region reported by GetBucketInfo/Location ("oss-" + region). Default "cn-hangzhou". */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /** Lets unsigned GET/HEAD requests through (writes still need a signature). Default false. */
    public Builder allowAnonymousRead(boolean allow) {
      this.anonymousRead = allow;
      return this;
    }

    /** Default {@link ETagMode#AUTO}: content MD5 up to 64 MiB, a cheap file identity above. */
    public Builder etagMode(ETagMode mode) {
      this.etagMode = Objects.requireNonNull(mode, "etagMode");
      return this;
    }

    /** Clock for presigned-URL expiry and dates. Default system UTC. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Upper bound of concurrently handled requests. Default 256. */
    public Builder maxThreads(int maxThreads) {
      this.maxThreads = maxThreads;
      return this;
    }

    /**
     * Serves like a remote endpoint: each connection's answers paced to a rate, each request held
     * for a first-byte latency. Default {@link RemoteProfile#NONE} (loopback speed).
     */
    public Builder remoteProfile(RemoteProfile profile) {
      this.profile = Objects.requireNonNull(profile, "remoteProfile");
      return this;
    }

    public LocalOssServer build() {
      if (root == null && mapped.isEmpty()) {
        throw new IllegalArgumentException(
            "root: not set; call root(dir) with the directory whose"
                + " subdirectories are the buckets, or bucket(name, dir) to serve one directory");
      }
      if (root == null && !buckets.isEmpty()) {
        throw new IllegalArgumentException(
            "bucket: bucket(name) creates root/name but no root is set;"
                + " call root(dir) or use bucket(name, dir)");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(
            "port: " + port + " is out of range; use 0 for an ephemeral" + " port or 1-65535");
      }
      if (maxThreads < 1) {
        throw new IllegalArgumentException("maxThreads: must be >= 1, was " + maxThreads);
      }
      if (!bindAddress.isLoopbackAddress() && !allowNonLoopback) {
        throw new IllegalArgumentException(
            "bindAddress: "
                + bindAddress.getHostAddress()
                + " is not a"
                + " loopback address; local-oss has no TLS and serves files to anyone holding the key,"
                + " so bind 127.0.0.1, or call allowNonLoopback(true) if you really mean it");
      }
      if (securityToken != null && securityToken.isEmpty()) {
        throw new IllegalArgumentException("securityToken: empty; pass null for no STS token");
      }
      Set<String> allNames = new LinkedHashSet<>(buckets);
      allNames.addAll(mapped.keySet());
      for (String b : allNames) {
        if (!Route.BUCKET_NAME.matcher(b).matches()) {
          throw new IllegalArgumentException(
              "bucket: '"
                  + b
                  + "' is not a valid OSS bucket name"
                  + " (3-63 characters: lower-case letters, digits, '-', not starting or ending with '-')");
        }
      }
      if (accessKeyId == null) {
        Authenticator.KeyPair random = Authenticator.KeyPair.random();
        accessKeyId = random.accessKeyId();
        accessKeySecret = random.accessKeySecret();
      }
      if (accessKeyId.isEmpty() || accessKeySecret.isEmpty()) {
        throw new IllegalArgumentException(
            "credentials: access key id and secret must not be empty");
      }
      return new LocalOssServer(this, BucketRegistry.create(root, buckets, mapped));
    }
  }
}
