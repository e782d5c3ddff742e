package io.ossfuse.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The read-only view of one bucket that the filesystem needs. Implementations retry transient
 * failures themselves and throw {@link ObjectStoreException} once they give up. Keys are full
 * object keys in the bucket (the mount's dir prefix is the filesystem's business).
 */
public interface ObjectStore extends Closeable {

  String bucket();

  /**
   * One page of the listing of {@code prefix} with delimiter "/"; {@code token} null for the first
   * page. A key that is not valid UTF-8 comes with each offending byte as one lone surrogate
   * U+DC80..U+DCFF (such a key cannot be asked for by name; the filesystem does not list it).
   */
  ListPage list(String prefix, String token, int maxKeys) throws IOException;

  /** The object's metadata, or empty when there is no such object. */
  Optional<ObjectMeta> head(String key) throws IOException;

  /**
   * Reads exactly {@code dst.remaining()} bytes of the object starting at {@code offset} into
   * {@code dst}. {@code etag}, when not null, must match the object's current ETag; otherwise
   * {@link ObjectChangedException} is thrown. A short or failed body is retried, then reported as
   * an exception; {@code dst} is never left holding a partial read presented as complete.
   */
  void read(String key, String etag, long offset, ByteBuffer dst) throws IOException;

  /**
   * Reads consecutive pieces of the object, the first at {@code offset}, {@code lengths[i]} bytes
   * each, in order: each goes into {@link RunSink#buffer} and is handed to {@link RunSink#filled}
   * as soon as all its bytes are in. A store that can does it with one request (a sequential
   * reader's readahead then costs one GET per run, not per block). No retries: a failure throws,
   * and the pieces not handed over yet were not read (the caller reads them with {@link #read},
   * which retries). The default reads piece by piece.
   */
  default void readRun(String key, String etag, long offset, int[] lengths, RunSink sink)
      throws IOException {
    long pos = offset;
    for (int i = 0; i < lengths.length; i++) {
      ByteBuffer dst = sink.buffer(i, lengths[i]);
      read(key, etag, pos, dst);
      sink.filled(i, dst);
      pos += lengths[i];
    }
  }

  /** Where {@link #readRun} puts its pieces. */
  interface RunSink {
    /** The buffer for piece {@code index}: exactly {@code length} bytes remaining. */
    ByteBuffer buffer(int index, int length) throws IOException;

    /** Piece {@code index} is complete: {@code dst}'s position has advanced by its length. */
    void filled(int index, ByteBuffer dst) throws IOException;
  }

  @Override
  default void close() throws IOException {}
}
