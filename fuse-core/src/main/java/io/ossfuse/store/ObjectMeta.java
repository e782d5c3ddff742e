package io.ossfuse.store;

import java.time.Instant;
import java.util.Objects;

/** What a listing or a HEAD tells about one object. */
public record ObjectMeta(String key, long size, String etag, Instant lastModified) {
  public ObjectMeta {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(etag, "etag");
    Objects.requireNonNull(lastModified, "lastModified");
    if (size < 0) throw new IllegalArgumentException("size must be >= 0");
  }
}
