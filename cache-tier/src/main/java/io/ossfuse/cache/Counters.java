package io.ossfuse.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/** The cache-wide counters; per-store hits, evictions and bytes live in each {@link Store}. */
final class Counters {
  final LongAdder misses = new LongAdder();
  final LongAdder coalesced = new LongAdder();
  final LongAdder demotions = new LongAdder();
  final LongAdder promotions = new LongAdder();
  final LongAdder bytesLoaded = new LongAdder();
  final LongAdder loadErrors = new LongAdder();
  final LongAdder corruptBlocks = new LongAdder();
  final LongAdder ioErrors = new LongAdder();

  /** A snapshot of these counters and of every store, one {@link LevelStats} per level. */
  CacheStats snapshot(TieredStoreConfig config, List<List<Store>> stores) {
    List<LevelStats> levels = new ArrayList<>();
    long hits = 0, evictions = 0;
    for (int l = 0; l < stores.size(); l++) {
      TierLevel tl = config.levels().get(l);
      long used = 0, quota = 0, blocks = 0, h = 0, ev = 0;
      for (Store s : stores.get(l)) {
        Store.Snapshot sn = s.snapshot(false);
        used += sn.used() + sn.reserved();
        quota += sn.quota();
        blocks += s.blocks();
        h += s.hits.sum();
        ev += s.evictions.sum();
      }
      hits += h;
      evictions += ev;
      levels.add(
          new LevelStats(
              tl.mediumType(), tl.paths(), used, quota, tl.high(), tl.low(), blocks, h, ev));
    }
    return new CacheStats(
        levels,
        hits,
        misses.sum(),
        coalesced.sum(),
        evictions,
        demotions.sum(),
        promotions.sum(),
        bytesLoaded.sum(),
        loadErrors.sum(),
        corruptBlocks.sum(),
        ioErrors.sum());
  }
}
