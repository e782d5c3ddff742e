package io.ossfuse.fs;

import java.nio.file.Path;

/**
 * A plain file holding exactly the bytes of one object version at their offsets, verified before it
 * was handed out, which a transport may give the kernel to read itself (FUSE passthrough). The
 * cache keeps its space counted while it is held, also if it is evicted meanwhile.
 */
public interface BackingFile {
  Path path();

  /** Names the object version: two backing files of equal versions hold the same bytes. */
  String version();

  /** The transport answered an open with this file (a passthrough open); counted in metrics. */
  default void usedForOpen() {}

  /** Lets the cache reclaim the file once evicted. Idempotent. */
  void release();
}
