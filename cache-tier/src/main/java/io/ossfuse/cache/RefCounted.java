package io.ossfuse.cache;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Something shared by several holders and freed by the last one: created held once, {@link #retain}
 * fails once it is freed, so a late holder can tell and go elsewhere.
 */
abstract class RefCounted {
  private final AtomicInteger refs = new AtomicInteger(1);

  /**
   * @return false when it was freed already
   */
  final boolean retain() {
    while (true) {
      int r = refs.get();
      if (r == 0) return false;
      if (refs.compareAndSet(r, r + 1)) return true;
    }
  }

  /** Lets go of one hold; the last one frees it. */
  final void release() {
    if (refs.decrementAndGet() == 0) free();
  }

  /** Called once, by the last {@link #release}. */
  abstract void free();
}
