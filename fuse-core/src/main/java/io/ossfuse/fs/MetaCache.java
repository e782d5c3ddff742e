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

  MetaCache(Duration ttl, Duration negativeTtl, Ticker ticker, long maxEntries) {
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
    return cache.getIfPresent(path);
  }

  void put(String path, Optional<Node> node) {
    cache.put(path, node);
  }

  void invalidate(String path) {
    cache.invalidate(path);
  }
}
