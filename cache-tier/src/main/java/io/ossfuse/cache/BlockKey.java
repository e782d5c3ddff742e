package io.ossfuse.cache;

import java.util.Objects;

/**
 * Names one block of one version of an object. The ETag is part of the key so a block of an
 * overwritten object can never be served for the new version.
 */
public record BlockKey(String bucket, String objectKey, String etag, long index) {
  public BlockKey {
    Objects.requireNonNull(bucket, "bucket");
    Objects.requireNonNull(objectKey, "objectKey");
    Objects.requireNonNull(etag, "etag");
    if (index < 0) throw new IllegalArgumentException("block index must be >= 0, got " + index);
  }
}
