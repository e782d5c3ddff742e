package io.ossfuse.mount;

import com.aliyun.oss.common.auth.CredentialsProvider;
import io.ossfuse.cache.BlockCache;
import io.ossfuse.cache.TieredBlockCache;
import io.ossfuse.cache.TieredStoreConfig;
import io.ossfuse.fs.InodeTable;
import io.ossfuse.fs.ObjectFileSystem;
import io.ossfuse.fuse.MountInfo;
import io.ossfuse.oss.BodyTimeouts;
import io.ossfuse.oss.CredentialSources;
import io.ossfuse.oss.OssConfig;
import io.ossfuse.oss.OssCredentials;
import io.ossfuse.oss.OssObjectStore;
import io.ossfuse.stats.Metrics;
import io.ossfuse.store.ObjectStore;
import io.ossfuse.store.ObjectStoreException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Builds a {@link MountedFileSystem} from {@link MountOptions}: credentials, OSS client, a probe
 * that the bucket and keys work, block cache, inode table, filesystem. Every failure is a {@link
 * MountException} with one line for the user.
 *
 * <p>The mount point is checked separately ({@link #checkMountpoint}) because a child that serves
 * an fd its parent already mounted must not insist on an empty, unmounted directory.
 */
public final class MountFactory {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MountFactory.class);
  private final Map<String, String> env;
  private final Function<MountOptions, BlockCache> cacheFactory;

  /** Uses the process environment for credentials when no credDir is set. */
  public MountFactory() {
    this(System.getenv(), MountFactory::defaultCache);
  }

  /**
   * @param env where {@code OSS_ACCESS_KEY_ID} etc. are looked up
   * @param cacheFactory builds the block cache for the options (null result = the fs's in-heap
   *     default)
   */
  public MountFactory(Map<String, String> env, Function<MountOptions, BlockCache> cacheFactory) {
    this(env, cacheFactory, null);
  }

  /**
   * For a standby taking over from a predecessor that is exiting: the inode table is opened at once
   * ({@link InodeTable#takenOver}); {@code stillLocked} runs if its lock is not let go in time.
   */
  public MountFactory(
      Map<String, String> env,
      Function<MountOptions, BlockCache> cacheFactory,
      java.util.function.Consumer<String> stillLocked) {
    this(env, cacheFactory, stillLocked, null);
  }

  /**
   * As {@link #MountFactory(Map, Function, java.util.function.Consumer)}, with the inode table read
   * ahead by {@code inodesAhead} (null: read at the takeover).
   */
  public MountFactory(
      Map<String, String> env,
      Function<MountOptions, BlockCache> cacheFactory,
      java.util.function.Consumer<String> stillLocked,
      io.ossfuse.fs.InodePreload inodesAhead) {
    this(env, cacheFactory, stillLocked, inodesAhead, null);
  }

  /** ... and the metadata the predecessor knew, read ahead by {@code metaAhead} (may be null). */
  public MountFactory(
      Map<String, String> env,
      Function<MountOptions, BlockCache> cacheFactory,
      java.util.function.Consumer<String> stillLocked,
      io.ossfuse.fs.InodePreload inodesAhead,
      io.ossfuse.fs.MetaPreload metaAhead) {
    this.env = env;
    this.cacheFactory = cacheFactory;
    this.takeoverStillLocked = stillLocked;
    this.inodesAhead = inodesAhead;
    this.metaAhead = metaAhead;
  }

  private final io.ossfuse.fs.MetaPreload metaAhead;

  private final java.util.function.Consumer<String> takeoverStillLocked;
  private final io.ossfuse.fs.InodePreload inodesAhead;

  /**
   * The tiered cache from the options' YAML file; null (the filesystem's in-heap default cache)
   * without one.
   */
  static BlockCache defaultCache(MountOptions o) {
    if (o.tieredstore() == null) return null;
    // CacheConfigException is an IllegalArgumentException with a one-line message naming the level
    // and fix.
    return TieredBlockCache.builder(TieredStoreConfig.load(Path.of(o.tieredstore()))).build();
  }

  /**
   * Environment variable with the default read timeout (e.g. {@code 20s}) for mounts that set none.
   */
  public static final String READ_TIMEOUT_ENV = "OSSFUSE_READ_TIMEOUT";

  /**
   * The mount's read timeout, else {@link #READ_TIMEOUT_ENV}, else {@link
   * BodyTimeouts#DEFAULT_DEADLINE}.
   */
  static Duration readTimeout(MountOptions o, Map<String, String> env) {
    if (o.readTimeoutMillis() > 0) return Duration.ofMillis(o.readTimeoutMillis());
    String v = env.get(READ_TIMEOUT_ENV);
    if (v == null || v.isBlank()) return BodyTimeouts.DEFAULT_DEADLINE;
    try {
      Duration d = Durations.parse(v);
      if (d.toMillis() > 0) return d;
    } catch (IllegalArgumentException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        READ_TIMEOUT_ENV + "='" + v + "' is not a duration > 0: use e.g. 20s or 1500ms");
  }

  /**
   * Opens everything a transport needs; probes the bucket with one listing of the mounted directory
   * (of each source's, for a mount of several sources: those become directories of the root).
   */
  public MountedFileSystem open(MountOptions o) throws MountException {
    ObjectStore store = openStore(o);
    try {
      return open(o, store, true);
    } catch (MountException | RuntimeException e) {
      closeQuietly(store);
      throw e;
    }
  }

  /**
   * The OSS client of {@code o} (one per source, routed by name), each bucket probed with one
   * listing: for a process that builds its filesystem later over the same client ({@link
   * #open(MountOptions, ObjectStore)}), e.g. a standby child, which pays the client's start-up
   * before it takes over.
   */
  public ObjectStore openStore(MountOptions o) throws MountException {
    return o.sources().isEmpty() ? connect(o) : connectAll(o);
  }

  /**
   * Builds cache, inode table and filesystem over an open {@code store} ({@link #openStore});
   * closing the result leaves the store open.
   */
  public MountedFileSystem open(MountOptions o, ObjectStore store) throws MountException {
    return open(o, store, false);
  }

  private MountedFileSystem open(MountOptions o, ObjectStore store, boolean ownsStore)
      throws MountException {
    String prefix = o.sources().isEmpty() ? o.ossUri().prefix() : "";
    BlockCache cache = null;
    InodeTable inodes = null;
    // Inode table and cache are read side by side: each costs 50-200 ms with a few thousand
    // entries, and a standby taking over opens both while every request waits.
    java.util.concurrent.FutureTask<InodeTable> inodesTask =
        new java.util.concurrent.FutureTask<>(
            () ->
                o.stateDir() == null
                    ? InodeTable.inMemory()
                    : takeoverStillLocked != null
                        ? InodeTable.takenOver(
                            Path.of(o.stateDir()), 10_000, takeoverStillLocked, inodesAhead)
                        : InodeTable.persistent(Path.of(o.stateDir()), 10_000));
    Thread inodesThread = new Thread(inodesTask, "open-inode-table");
    inodesThread.setDaemon(true);
    inodesThread.start();
    long t0 = System.nanoTime();
    long tCache = 0, tInodes = 0, tMeta = 0;
    try {
      try {
        cache = cacheFactory.apply(o);
        tCache = System.nanoTime();
      } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
        throw new MountException(e.getMessage(), e);
      } finally {
        inodes = awaitInodes(inodesTask, o);
        tInodes = System.nanoTime();
      }
      Metrics.watchCache(cache);
      // a standby of this mount takes over what it learns of the metadata
      io.ossfuse.fs.MetaJournal journal = null;
      if (metaAhead != null) metaAhead.finish(); // before the new journal replaces the old one
      if (o.stateDir() != null) {
        try {
          journal = io.ossfuse.fs.MetaJournal.open(Path.of(o.stateDir()), metaAhead);
        } catch (java.io.IOException e) {
          LOG.info("no metadata journal in {}: {}", o.stateDir(), e.getMessage());
        }
      }
      tMeta = System.nanoTime();
      ObjectFileSystem fs =
          ObjectFileSystem.builder(Metrics.meter(store))
              .prefix(prefix)
              .cache(cache)
              .inodes(inodes)
              .options(o.fsOptions())
              .metadataJournal(journal)
              .metadataFrom(metaAhead)
              .build();
      if (cache == null) Metrics.watchCache(fs.cache()); // the in-heap default's counters
      if (takeoverStillLocked != null) {
        long end = System.nanoTime();
        LOG.info(
            "opened for a takeover in {} ms: cache {} ms, then waited {} ms for the inode table,"
                + " metadata journal {} ms, filesystem {} ms",
            (end - t0) / 1_000_000,
            (tCache - t0) / 1_000_000,
            (tInodes - tCache) / 1_000_000,
            (tMeta - tInodes) / 1_000_000,
            (end - tMeta) / 1_000_000);
      }
      return new MountedFileSystem(o, store, cache, inodes, fs, ownsStore);
    } catch (MountException | RuntimeException e) {
      if (inodes != null) inodes.close();
      if (cache != null) {
        try {
          cache.close();
        } catch (IOException ignored) {
          // already failing
        }
      }
      throw e;
    }
  }

  private static InodeTable awaitInodes(
      java.util.concurrent.FutureTask<InodeTable> task, MountOptions o) throws MountException {
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MountException("interrupted while opening the state directory " + o.stateDir(), e);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) throw r;
      throw new MountException(
          "cannot open the state directory " + o.stateDir() + ": " + c.getMessage(), c);
    }
  }

  /** Credentials, client and a probe of one source. */
  private OssObjectStore connect(MountOptions o) throws MountException {
    OssConfig config;
    try {
      CredentialsProvider creds =
          o.credDir() != null
              ? OssCredentials.fromDirectory(Path.of(o.credDir()))
              : CredentialSources.fromEnvironment(env);
      config =
          OssConfig.of(o.endpoint(), o.ossUri(), creds, o.signatureVersion(), o.region())
              .withBodies(BodyTimeouts.withDeadline(readTimeout(o, env)));
    } catch (IllegalArgumentException e) {
      throw new MountException(e.getMessage(), e);
    }
    OssObjectStore store = OssObjectStore.open(config);
    try {
      probe(store, config, o);
    } catch (MountException | RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  /** Every source of {@code o}, each probed, routed by its name. */
  private ObjectStore connectAll(MountOptions o) throws MountException {
    List<SourceRoutingObjectStore.Route> routes = new ArrayList<>();
    try {
      for (MountSource src : o.sources()) {
        MountOptions alone;
        try {
          alone = src.alone(o);
        } catch (IllegalArgumentException e) {
          throw new MountException("source '" + src.name() + "': " + e.getMessage(), e);
        }
        try {
          routes.add(
              new SourceRoutingObjectStore.Route(
                  src.name(), connect(alone), alone.ossUri().prefix()));
        } catch (MountException e) {
          throw new MountException("source '" + src.name() + "': " + e.getMessage(), e);
        }
      }
    } catch (MountException | RuntimeException e) {
      for (SourceRoutingObjectStore.Route r : routes) closeQuietly(r.store());
      throw e;
    }
    return new SourceRoutingObjectStore(routes);
  }

  private static void closeQuietly(ObjectStore store) {
    try {
      store.close();
    } catch (IOException | RuntimeException ignored) {
      // already failing
    }
  }

  /**
   * One cheap request that tells a missing bucket, wrong keys and an unreachable endpoint apart.
   */
  static void probe(ObjectStore store, OssConfig config, MountOptions o) throws MountException {
    try {
      var page = store.list(config.source().prefix(), null, 1);
      if (!config.source().prefix().isEmpty()
          && page.objects().isEmpty()
          && page.commonPrefixes().isEmpty()) {
        LOG.warn("{} is empty or does not exist yet; mounting an empty directory", config.source());
      }
    } catch (ObjectStoreException e) {
      String where = config.source() + " at " + config.endpoint();
      String creds =
          o.credDir() != null
              ? "the keys in " + o.credDir()
              : "the credentials from the environment (" + config.credentials() + ")";
      throw switch (e.kind()) {
        case NO_SUCH_BUCKET ->
            new MountException(
                "bucket '"
                    + config.source().bucket()
                    + "' does not exist at "
                    + config.endpoint()
                    + ": check the bucket name and the endpoint's region",
                e);
        case ACCESS_DENIED ->
            new MountException(
                "access denied to " + where + ": check " + creds + " (" + brief(e) + ")", e);
        case UNAVAILABLE ->
            new MountException(
                "cannot reach OSS endpoint "
                    + config.endpoint()
                    + ": check --endpoint and the network ("
                    + brief(e)
                    + ")",
                e);
        default -> new MountException("cannot list " + where + ": " + brief(e), e);
      };
    } catch (IOException e) {
      throw new MountException(
          "cannot list " + config.source() + " at " + config.endpoint() + ": " + e.getMessage(), e);
    }
  }

  private static void checkNotMounted(Path mp) throws MountException {
    try {
      var existing = MountInfo.find(mp);
      if (existing.isPresent()) {
        throw new MountException(
            "mountpoint "
                + mp
                + " is busy: "
                + existing.get().fsType()
                + " ("
                + existing.get().source()
                + ") is already mounted there; unmount it first (umount "
                + mp
                + ")");
      }
    } catch (IOException e) {
      throw new MountException("cannot read /proc/self/mountinfo: " + e.getMessage(), e);
    }
  }

  private static String brief(Exception e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /**
   * Checks that {@code mountpoint} exists, is a directory, is not already a mount point and is
   * empty. Returns the absolute, normalized path.
   */
  public static Path checkMountpoint(Path mountpoint) throws MountException {
    Path mp = mountpoint.toAbsolutePath().normalize();
    // Before anything touches the path: a dead FUSE mount answers stat with ENOTCONN.
    checkNotMounted(mp);
    if (!Files.exists(mp)) {
      throw new MountException(
          "mountpoint " + mp + " does not exist; create it with: mkdir -p " + mp);
    }
    try {
      Path real = mp.toRealPath();
      if (!real.equals(mp)) {
        checkNotMounted(real);
        mp = real; // the kernel's mount table shows resolved paths
      }
    } catch (IOException e) {
      throw new MountException("cannot resolve mountpoint " + mp + ": " + e.getMessage(), e);
    }
    if (!Files.isDirectory(mp))
      throw new MountException("mountpoint " + mp + " is not a directory");
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(mp)) {
      if (ds.iterator().hasNext()) {
        throw new MountException("mountpoint " + mp + " is not empty; mount on an empty directory");
      }
    } catch (IOException e) {
      throw new MountException("cannot read mountpoint " + mp + ": " + e.getMessage(), e);
    }
    return mp;
  }
}
