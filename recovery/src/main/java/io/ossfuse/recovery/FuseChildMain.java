package io.ossfuse.recovery;

import io.ossfuse.cache.CacheScan;
import io.ossfuse.cache.TieredBlockCache;
import io.ossfuse.cache.TieredStoreConfig;
import io.ossfuse.fs.InodePreload;
import io.ossfuse.fs.MetaPreload;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fuse.dev.Standby;
import io.ossfuse.fuse.raw.RawFuseConfig;
import io.ossfuse.fuse.raw.RawFuseTransport;
import io.ossfuse.fuse.raw.SessionState;
import io.ossfuse.mount.MountException;
import io.ossfuse.mount.MountFactory;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.mount.MountedFileSystem;
import io.ossfuse.mount.ServedMount;
import io.ossfuse.stats.Metrics;
import io.ossfuse.store.ObjectStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Entry point of one FUSE child: {@code FuseChildMain --spec FILE}. Builds the mount from the
 * spec's {@link MountOptions} with {@link MountFactory} and serves it until it is unmounted or the
 * process is told to stop (SIGTERM unmounts cleanly). The daemon supervises it; it never restarts
 * itself.
 *
 * <p>Without a {@code stateDir} in the options the inode table goes to {@code <FILE>.d/}, so inode
 * numbers survive a restart of the child. Exit status: 0 after a clean stop, 2 when the mount
 * cannot be built (one line on stderr says why), 3 on a bad spec.
 *
 * <p>With the {@code raw} transport the daemon owns the connection: fd 0 is /dev/fuse and the
 * session is in the environment; the child takes the session over (or starts it) and serves until
 * the connection ends. As a pre-started standby it warms up and waits for activation first.
 */
public final class FuseChildMain {
  private FuseChildMain() {}

  /**
   * Where this child writes its data-path numbers for the daemon (docs/METRICS.md); null in tests.
   */
  private static volatile Path statsFile;

  /** How long a takeover's open of the tiered cache took (index brought up to date included). */
  private static volatile long cacheOpenMillis = -1;

  private static synchronized void startStats() {
    if (statsFile == null) return;
    Metrics.startWriter(statsFile, Metrics.WRITE_INTERVAL);
    statsFile = null;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2 || !args[0].equals("--spec")) {
      System.err.println("usage: FuseChildMain --spec FILE");
      System.exit(3);
    }
    Path specFile = Path.of(args[1]);
    MountOptions options;
    try {
      MountSpec spec = Json.mapper().readValue(Files.readAllBytes(specFile), MountSpec.class);
      if (spec.options() == null)
        throw new IllegalArgumentException("the spec has no mount options");
      options = MountOptions.fromJson(spec.options().toString());
      if (options.stateDir() == null) {
        Path dir = specFile.resolveSibling(specFile.getFileName() + ".d");
        Files.createDirectories(dir);
        options = options.toBuilder().stateDir(dir.toString()).build();
      }
    } catch (Exception e) {
      System.err.println("ossfuse child: bad spec " + specFile + ": " + e.getMessage());
      System.exit(3);
      return;
    }
    if (System.getenv(ClassArchive.ENV_TRAINING) != null) {
      // A standby's start-up and warm-up, then a normal exit: the JVM writes the class archive.
      try {
        warmUp(options, new MountFactory().openStore(options));
        System.exit(0);
      } catch (MountException | RuntimeException e) {
        System.err.println("ossfuse child: class archive training failed: " + e.getMessage());
        System.exit(2);
      }
    }
    boolean daemonHeld = System.getenv(SessionState.ENV_SESSION) != null;
    statsFile = StatsFiles.forSpecFile(specFile);
    try {
      System.exit(daemonHeld ? serveDaemonHeld(options) : serve(options));
    } catch (MountException | IllegalStateException e) {
      System.err.println("ossfuse child: " + e.getMessage());
      System.exit(2);
    }
  }

  /** Daemon-held connection: fd 0 is /dev/fuse, the session comes in the environment. */
  static int serveDaemonHeld(MountOptions options) throws Exception {
    MountFactory factory = new MountFactory();
    boolean standby = System.getenv(Standby.ENV_FIFO) != null;
    Standby.listen(System.getenv()); // a wake-up during the warm-up cuts it short
    // A standby pays the SDK/HTTP start-up and the bucket probe now, and runs the first requests
    // once on a throw-away filesystem; the inode table and the tiered cache (both the active
    // child's, the cache locked by it) are opened only after activation, over the same client.
    ObjectStore store = standby ? factory.openStore(options) : null;
    if (standby) warmUp(options, store);
    if (standby) factory = takeoverFactory(options);
    System.err.println(
        "ossfuse child "
            + ProcessHandle.current().pid()
            + ": serving "
            + options.source()
            + " on the daemon's connection"
            + (standby ? " (standby)" : ""));
    MountFactory opener = factory;
    RawFuseTransport.serveStdin(
        () -> {
          try {
            long t0 = System.nanoTime();
            ReadOnlyFileSystem fs =
                CrashOnReadForTests.wrapIfAsked(
                    Metrics.meter(
                        (store != null ? opener.open(options, store) : opener.open(options)).fs()),
                    System.getenv());
            startStats(); // after activation: a standby must not overwrite the active child's
            // numbers
            System.err.println(
                "ossfuse child "
                    + ProcessHandle.current().pid()
                    + ": filesystem opened in "
                    + (System.nanoTime() - t0) / 1_000_000
                    + " ms"
                    + (cacheOpenMillis < 0
                        ? ""
                        : " (tiered cache " + cacheOpenMillis + " ms, the inode table beside it)"));
            return fs;
          } catch (MountException e) {
            throw new IllegalStateException(
                "cannot open " + options.source() + ": " + e.getMessage(), e);
          }
        },
        rawConfig(options));
    return 0;
  }

  /**
   * A standby serves at once and takes the cache lock of its dying predecessor within this, else
   * exits.
   */
  private static final Duration TAKEOVER_LOCK_WAIT = Duration.ofSeconds(10);

  /**
   * While a standby waits, its listing of the cache directories is brought up to date this often.
   */
  private static final long PRESCAN_REFRESH_MS = 1000;

  /**
   * How a standby opens the tiered cache at its takeover: from a listing of the cache directories
   * it took while it waited (kept up to date, never locking: the active child owns the cache), so
   * only directories changed since are listed again; and waiting for the lock of the predecessor,
   * which may still be exiting when the standby is woken (the kernel releases it last).
   */
  private static MountFactory takeoverFactory(MountOptions options) {
    java.util.function.Consumer<String> stillLocked =
        what -> {
          System.err.println("ossfuse child: " + what);
          Runtime.getRuntime()
              .halt(2); // two processes on one cache or state dir: the daemon starts afresh
        };
    // the inode table as the active child appends to it, read ahead the same way
    InodePreload inodes =
        options.stateDir() == null ? null : InodePreload.of(Path.of(options.stateDir()));
    // and the metadata it learns (HEADs, listings), so the readers' paths need no request again
    MetaPreload meta =
        options.stateDir() == null ? null : MetaPreload.of(Path.of(options.stateDir()));
    if (options.tieredstore() == null) {
      startRefresher(null, inodes, meta);
      return new MountFactory(System.getenv(), o -> null, stillLocked, inodes, meta);
    }
    TieredStoreConfig config;
    CacheScan scan;
    try {
      config = TieredStoreConfig.load(Path.of(options.tieredstore()));
      scan = CacheScan.of(config);
    } catch (RuntimeException e) {
      System.err.println("ossfuse child: no cache pre-scan (" + e.getMessage() + ")");
      startRefresher(null, inodes, meta);
      return new MountFactory(
          System.getenv(),
          o ->
              TieredBlockCache.builder(TieredStoreConfig.load(Path.of(o.tieredstore())))
                  .takeoverLock(TAKEOVER_LOCK_WAIT, stillLocked)
                  .build(),
          stillLocked,
          inodes,
          meta);
    }
    startRefresher(scan, inodes, meta);
    return new MountFactory(
        System.getenv(),
        o -> {
          long t0 = System.nanoTime();
          int relisted = scan.refresh(true); // woken: the predecessor writes no more
          System.err.println(
              "ossfuse child "
                  + ProcessHandle.current().pid()
                  + ": cache pre-scan brought up to date in "
                  + (System.nanoTime() - t0) / 1_000_000
                  + " ms ("
                  + relisted
                  + " directories listed again)");
          TieredBlockCache c =
              TieredBlockCache.builder(config)
                  .prescanned(scan)
                  .takeoverLock(TAKEOVER_LOCK_WAIT, stillLocked)
                  .build();
          cacheOpenMillis = (System.nanoTime() - t0) / 1_000_000;
          return c;
        },
        stillLocked,
        inodes,
        meta);
  }

  /** Keeps the cache index and the inode table read ahead up to date until activation. */
  private static void startRefresher(CacheScan scan, InodePreload inodes, MetaPreload meta) {
    if (scan == null && inodes == null && meta == null) return;
    Thread refresher =
        new Thread(
            () -> {
              while (!Standby.activationPending()) {
                try {
                  Thread.sleep(PRESCAN_REFRESH_MS);
                } catch (InterruptedException e) {
                  return;
                }
                if (Standby.activationPending()) return;
                if (scan != null) scan.refresh(false);
                if (inodes != null) inodes.refresh();
                if (meta != null) meta.refresh();
              }
            },
            "cache-prescan");
    refresher.setDaemon(true);
    refresher.start();
  }

  /**
   * A standby's warm-up: the first requests of a takeover on a throw-away filesystem over {@code
   * store}, with an in-memory inode table and, for a mount with a tiered cache, a tiered cache of
   * the same block size in a temporary directory, so the cache's open and read paths are warm too
   * without touching the real cache (locked by the active child).
   */
  private static void warmUp(MountOptions options, ObjectStore store) throws Exception {
    if (Standby.activationPending()) {
      System.err.println("ossfuse child: woken before its warm-up: taking over without it");
      return;
    }
    MountOptions warmOptions = options.toBuilder().stateDir(null).tieredstore(null).build();
    Path scratch = null;
    MountFactory warmFactory = new MountFactory();
    try {
      WarmUpDir.removeOfDead();
      scratch = Files.createDirectories(WarmUpDir.of(ProcessHandle.current().pid()));
      if (options.tieredstore() != null) {
        int blockSize = TieredStoreConfig.load(Path.of(options.tieredstore())).blockSize();
        TieredStoreConfig warm =
            TieredStoreConfig.memory(scratch.resolve("cache"), 64L << 20).withBlockSize(blockSize);
        warmFactory =
            new MountFactory(System.getenv(), o -> TieredBlockCache.builder(warm).build());
      }
      try (MountedFileSystem fs = warmFactory.open(warmOptions, store)) {
        RawFuseTransport.warmUp(fs.fs(), rawConfig(options), scratch.resolve("session"));
      }
    } catch (RuntimeException | MountException e) {
      System.err.println("ossfuse child: standby warm-up incomplete (" + e.getMessage() + ")");
    } finally {
      if (scratch != null) WarmUpDir.deleteTree(scratch);
    }
  }

  /**
   * The raw transport's settings for a daemon-held child: the kernel may remember a missing name as
   * long as the filesystem itself trusts it (as foreground mounts do), so repeated probes of absent
   * paths (module search paths, config fallbacks) stop at the kernel.
   */
  static RawFuseConfig rawConfig(MountOptions options) {
    return RawFuseConfig.defaults()
        .withNegativeTimeout(Duration.ofMillis(options.negativeTtlMillis()))
        .withPassthrough(options.passthroughEnabled());
  }

  static int serve(MountOptions options) throws Exception {
    CountDownLatch stop = new CountDownLatch(1);
    ServedMount m;
    try {
      m = ServedMount.start(options, new MountFactory());
    } catch (MountException e) {
      System.err.println(
          "ossfuse child: cannot mount "
              + options.source()
              + " on "
              + options.mountpoint()
              + ": "
              + e.getMessage());
      return 2;
    }
    System.err.println(
        "ossfuse child "
            + ProcessHandle.current().pid()
            + ": serving "
            + options.source()
            + " on "
            + m.mountpoint()
            + " (transport "
            + m.transport().name()
            + ")");
    startStats();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.countDown();
                  try {
                    m.close();
                  } catch (Exception ignored) {
                    // exiting anyway; the daemon cleans a dead mount
                  }
                },
                "unmount"));
    while (!m.awaitUnmounted(Duration.ofSeconds(1))) {
      if (stop.getCount() == 0) return 0;
    }
    System.err.println("ossfuse child: " + m.mountpoint() + " was unmounted from outside; exiting");
    m.close();
    return 0;
  }
}
