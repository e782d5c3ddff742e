package io.ossfuse.stats;

import io.ossfuse.cache.BlockCache;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.store.ObjectStore;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The hooks the data path calls, over one process-wide {@link MountMetrics}. A FUSE child serves
 * exactly one mount, so process-wide is per mount there; a process serving several mounts (tests,
 * {@code mount --foreground} twice in one JVM) adds them up.
 *
 * <pre>
 *   fs    = Metrics.meter(fs);        // every filesystem call: count, latency, errno
 *   store = Metrics.meter(store);     // every object-store call: requests, errors, bytes
 *   Metrics.watchCache(cache);        // the cache's CacheStats go into each snapshot
 *   Metrics.startWriter(file, 2 s);   // the child's snapshot file for the daemon
 * </pre>
 */
public final class Metrics {
  private static final MountMetrics GLOBAL = new MountMetrics(System::currentTimeMillis);

  /** How often a child writes its snapshot. */
  public static final Duration WRITE_INTERVAL = Duration.ofSeconds(2);

  private Metrics() {}

  public static MountMetrics global() {
    return GLOBAL;
  }

  /** {@code fs} with every call counted and timed (idempotent). */
  public static ReadOnlyFileSystem meter(ReadOnlyFileSystem fs) {
    return fs instanceof MeteredFileSystem ? fs : new MeteredFileSystem(fs, GLOBAL);
  }

  /** {@code store} with every call counted (idempotent). */
  public static ObjectStore meter(ObjectStore store) {
    return store instanceof MeteredObjectStore ? store : new MeteredObjectStore(store, GLOBAL);
  }

  /**
   * Puts {@code cache}'s counters in the snapshots; null (the filesystem's own small cache) leaves
   * none.
   */
  public static void watchCache(BlockCache cache) {
    if (cache != null) GLOBAL.cache(cache::stats);
  }

  /**
   * Writes a snapshot to {@code file} now and every {@code every} until closed or the JVM exits;
   * either removes the file (a killed process leaves it, and the daemon ignores a dead pid's file).
   */
  public static AutoCloseable startWriter(Path file, Duration every) {
    SnapshotWriter w = new SnapshotWriter(GLOBAL, file, every);
    Runtime.getRuntime().addShutdownHook(new Thread(w::close, "stats-writer-stop"));
    return w;
  }
}
