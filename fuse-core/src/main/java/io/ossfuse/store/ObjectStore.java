package io.ossfuse.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The read-only view of one bucket that the filesystem needs. Implementations retry transient
 * failures themselves and throw {@link ObjectStoreException} once they give up.
 * Keys are full object keys in the bucket (the mount's dir prefix is the filesystem's business).
 */
public interface ObjectStore extends Closeable {

    String bucket();

    /** One page of the listing of {@code prefix} with delimiter "/"; {@code token} null for the first page. */
    ListPage list(String prefix, String token, int maxKeys) throws IOException;

    /** The object's metadata, or empty when there is no such object. */
    Optional<ObjectMeta> head(String key) throws IOException;

    /**
     * Reads exactly {@code dst.remaining()} bytes of the object starting at {@code offset} into
     * {@code dst}. {@code etag}, when not null, must match the object's current ETag; otherwise
     * {@link ObjectChangedException} is thrown. A short or failed body is retried, then reported
     * as an exception; {@code dst} is never left holding a partial read presented as complete.
     */
    void read(String key, String etag, long offset, ByteBuffer dst) throws IOException;

    @Override
    default void close() throws IOException {
    }
}
