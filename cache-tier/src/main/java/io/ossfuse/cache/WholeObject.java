package io.ossfuse.cache;

import java.nio.file.Path;

/**
 * A plain file holding exactly the bytes of one cached object version at their offsets (no header:
 * its checksums are kept beside it), checked against them when it was built. While held, its space
 * stays counted in its level's quota even if it is evicted (an open file keeps an unlinked file's
 * space), so holders must {@link #release} it.
 */
public interface WholeObject {
  Path path();

  /** Gives the file back to the cache. Idempotent. */
  void release();
}
