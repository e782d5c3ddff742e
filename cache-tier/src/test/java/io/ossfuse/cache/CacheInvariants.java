package io.ossfuse.cache;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Re-checks every cache a test opened through {@link #track} after the test: background work done,
 * per-store byte totals equal the block files on disk, no orphan or temp files, index and LRUs
 * agree. Then closes them.
 */
final class CacheInvariants implements AfterEachCallback {
  private static final ThreadLocal<List<TieredBlockCache>> OPEN =
      ThreadLocal.withInitial(ArrayList::new);

  static TieredBlockCache track(TieredBlockCache cache) {
    OPEN.get().add(cache);
    return cache;
  }

  static TieredBlockCache open(TieredBlockCache.Builder builder) {
    return track(builder.build());
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    List<TieredBlockCache> caches = new ArrayList<>(OPEN.get());
    OPEN.get().clear();
    AssertionError failure = null;
    for (TieredBlockCache c : caches) {
      try {
        c.awaitBackground();
        if (context.getExecutionException().isEmpty() && !c.isClosed()) c.checkInvariants();
      } catch (AssertionError e) {
        if (failure == null) failure = e;
      } finally {
        c.close();
      }
    }
    if (failure != null) throw failure;
  }
}
