package io.ossfuse.fs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.Optional;

/** Path → node (or "absent") with separate TTLs for positive and negative entries. */
final class MetaCache {
  private final Cache<String, Optional<Node>> cache;
  private final MetaJournal journal;
  private final long posMillis;
  private final long negMillis;

  MetaCache(Duration ttl, Duration negativeTtl, Ticker ticker, long maxEntries) {
    this(ttl, negativeTtl, ticker, maxEntries, null);
  }

  /** {@code journal} (may be null): where what is learnt is also written, for a successor. */
  MetaCache(
      Duration ttl, Duration negativeTtl, Ticker ticker, long maxEntries, MetaJournal journal) {
    this.journal = journal;
    this.posMillis = ttl.toMillis();
    this.negMillis = negativeTtl.toMillis();
    long pos = ttl.toNanos();
    long neg = negativeTtl.toNanos();
    this.cache =
        Caffeine.newBuilder()
            .ticker(ticker)
            .maximumSize(maxEntries)
            .expireAfter(
                new Expiry<String, Optional<Node>>() {
                  @Override
                  public long expireAfterCreate(String k, Optional<Node> v, long now) {
                    return v.isPresent() ? pos : neg;
                  }

                  @Override
                  public long expireAfterUpdate(
                      String k, Optional<Node> v, long now, long current) {
                    return v.isPresent() ? pos : neg;
                  }

                  @Override
                  public long expireAfterRead(String k, Optional<Node> v, long now, long current) {
                    return current;
                  }
                })
            .build();
  }

  /** null = unknown; empty = known absent. */
  Optional<Node> get(String path) {
    Optional<Node> n = cache.getIfPresent(path);
    if (n != null || seeds == null) return n;
    MetaPreload.Seed s = seeds.remove(path);
    if (s == null) return null;
    long left = s.expiresAtMillis() - System.currentTimeMillis();
    if (left <= 0) return null;
    cache
        .policy()
        .expireVariably()
        .orElseThrow()
        .put(path, s.node(), left, java.util.concurrent.TimeUnit.MILLISECONDS);
    if (journal != null) {
      // the journal's carry-over may have missed it, taken out of the map: the next successor
      // needs it too (twice is harmless)
      if (s.node().isPresent()) journal.present(path, s.node().get(), s.expiresAtMillis());
      else journal.absent(path, s.expiresAtMillis());
    }
    return s.node();
  }

  /** What a predecessor knew and was not asked for yet (null: nothing). */
  private volatile java.util.Map<String, MetaPreload.Seed> seeds;

  void put(String path, Optional<Node> node) {
    if (seeds != null) seeds.remove(path);
    cache.put(path, node);
    if (journal != null) {
      long now = System.currentTimeMillis();
      if (node.isPresent()) {
        if (posMillis > 0) journal.present(path, node.get(), now + posMillis);
      } else if (negMillis > 0) {
        journal.absent(path, now + negMillis);
      }
    }
  }

  void invalidate(String path) {
    if (seeds != null) seeds.remove(path);
    cache.invalidate(path);
    if (journal != null) journal.forgotten(path);
  }

  /**
   * Takes over what a predecessor knew ({@code seeds}, a map this cache then owns): each entry is
   * looked at when first asked for, and trusted only until its own expiry. The journal carried the
   * entries over already ({@link MetaJournal#open(java.nio.file.Path, java.util.Map)}).
   */
  void seed(java.util.Map<String, MetaPreload.Seed> seeds) {
    this.seeds = seeds;
  }
}
