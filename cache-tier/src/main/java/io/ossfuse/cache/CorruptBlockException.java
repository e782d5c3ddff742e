package io.ossfuse.cache;

import java.io.IOException;

/** A block file whose header or checksum does not match: it is dropped, never served. */
final class CorruptBlockException extends IOException {
  private static final long serialVersionUID = 1L;

  CorruptBlockException(String message) {
    super(message);
  }
}
