package io.ossfuse.mount;

import io.ossfuse.cache.BlockCache;
import io.ossfuse.fs.InodeTable;
import io.ossfuse.fs.ObjectFileSystem;
import io.ossfuse.store.ObjectStore;
import java.io.Closeable;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A filesystem ready to be served by a transport, with the resources it owns; close() releases
 * them.
 */
public final class MountedFileSystem implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(MountedFileSystem.class);
  private final MountOptions options;
  private final ObjectStore store;
  private final BlockCache cache;
  private final InodeTable inodes;
  private final ObjectFileSystem fs;
  private final boolean ownsStore;

  MountedFileSystem(
      MountOptions options,
      ObjectStore store,
      BlockCache cache,
      InodeTable inodes,
      ObjectFileSystem fs) {
    this(options, store, cache, inodes, fs, true);
  }

  /**
   * @param ownsStore close() closes the store too (false: it is shared, its opener closes it)
   */
  MountedFileSystem(
      MountOptions options,
      ObjectStore store,
      BlockCache cache,
      InodeTable inodes,
      ObjectFileSystem fs,
      boolean ownsStore) {
    this.ownsStore = ownsStore;
    this.options = options;
    this.store = store;
    this.cache = cache;
    this.inodes = inodes;
    this.fs = fs;
  }

  public MountOptions options() {
    return options;
  }

  public ObjectFileSystem fs() {
    return fs;
  }

  public ObjectStore store() {
    return store;
  }

  /** The block cache, or null when the filesystem uses its own in-heap default cache. */
  public BlockCache cache() {
    return cache;
  }

  public InodeTable inodes() {
    return inodes;
  }

  /** The fsname shown in mount tables: {@code ossfuse:bucket/dir}. */
  public String fsName() {
    var u = options.ossUri();
    String dir = u.prefix().isEmpty() ? "" : u.prefix().substring(0, u.prefix().length() - 1);
    return "ossfuse:" + u.bucket() + (dir.isEmpty() ? "" : "/" + dir);
  }

  @Override
  public void close() {
    fs.close();
    inodes.close();
    if (cache != null) {
      try {
        cache.close();
      } catch (IOException e) {
        LOG.warn("closing the block cache: {}", e.getMessage());
      }
    }
    if (!ownsStore) {
      return;
    }
    try {
      store.close();
    } catch (IOException | RuntimeException e) {
      LOG.warn("closing the object store: {}", e.getMessage());
    }
  }
}
