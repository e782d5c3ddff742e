package io.ossfuse.localoss;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The buckets served: mapped directories and valid-named subdirectories of the root, each opened as
 * a {@link BucketStore} on first use. Grows when a client creates a bucket (PUT bucket) or a
 * directory appears under the root.
 */
final class BucketRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(BucketRegistry.class);

  final Path root;
  final Map<String, Path> mapped;
  private final Path stateDir;
  private final boolean ownsStateDir;
  private final ConcurrentHashMap<String, BucketStore> stores = new ConcurrentHashMap<>();

  /**
   * Creates the root, the {@code created} buckets under it and the mapped directories, and the
   * state directory: {@code <root>/.localoss}, or a temporary one removed on close when there is no
   * root.
   */
  static BucketRegistry create(Path root, Set<String> created, Map<String, Path> mapped) {
    try {
      Path stateDir;
      if (root != null) {
        Files.createDirectories(root);
        for (String b : created) {
          Files.createDirectories(root.resolve(b));
        }
        stateDir = root.resolve(".localoss");
      } else {
        stateDir = Files.createTempDirectory("local-oss-state");
      }
      for (Path d : mapped.values()) {
        Files.createDirectories(d);
      }
      return new BucketRegistry(root, mapped, stateDir, root == null);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "root: cannot create " + root + " or a bucket directory: " + e.getMessage(), e);
    }
  }

  private BucketRegistry(Path root, Map<String, Path> mapped, Path stateDir, boolean ownsStateDir) {
    this.root = root;
    this.mapped = Map.copyOf(mapped);
    this.stateDir = stateDir;
    this.ownsStateDir = ownsStateDir;
  }

  /** The store of {@code bucket}, or null when no such bucket directory exists. */
  BucketStore store(String bucket) {
    Path dir = mapped.get(bucket);
    if (dir == null && root != null && Route.BUCKET_NAME.matcher(bucket).matches()) {
      dir = root.resolve(bucket);
    }
    if (dir == null || !Files.isDirectory(dir)) {
      return null;
    }
    Path d = dir;
    return stores.computeIfAbsent(
        bucket,
        b ->
            new BucketStore(b, d, stateDir.resolve("markers").resolve(b), stateDir.resolve("tmp")));
  }

  void createBucket(String bucket) {
    if (mapped.containsKey(bucket)) {
      return;
    }
    if (root == null) {
      throw OssError.notImplemented("PutBucket without a root directory");
    }
    try {
      Files.createDirectories(root.resolve(bucket));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  List<String> bucketNames() {
    TreeSet<String> names = new TreeSet<>(mapped.keySet());
    if (root != null) {
      try (Stream<Path> s = Files.list(root)) {
        s.filter(Files::isDirectory)
            .map(p -> p.getFileName().toString())
            .filter(n -> Route.BUCKET_NAME.matcher(n).matches())
            .forEach(names::add);
      } catch (IOException e) {
        // a vanished root serves no buckets
      }
    }
    return new ArrayList<>(names);
  }

  void deleteStateIfOwned() {
    if (!ownsStateDir) {
      return;
    }
    try (Stream<Path> s = Files.walk(stateDir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.debug("local-oss: could not remove state dir {}: {}", stateDir, e.toString());
    }
  }
}
