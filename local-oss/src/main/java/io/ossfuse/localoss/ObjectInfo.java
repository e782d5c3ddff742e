package io.ossfuse.localoss;

import java.nio.file.Path;

/**
 * One object as served: its file (null for a directory marker), size, mtime and the identity the
 * ETag cache keys on.
 */
record ObjectInfo(
    String key, Path file, long size, long mtimeMillis, long mtimeNanos, Object fileKey) {
  boolean isMarker() {
    return file == null;
  }
}
