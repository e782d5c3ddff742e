package io.ossfuse.store;

import java.io.IOException;

/** The object store failed for good (after retries), or refused the request. */
public class ObjectStoreException extends IOException {
  public enum Kind {
    ACCESS_DENIED,
    NO_SUCH_BUCKET,
    NOT_FOUND,
    UNAVAILABLE,
    BAD_RESPONSE,
    OTHER
  }

  private final Kind kind;

  public ObjectStoreException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public ObjectStoreException(Kind kind, String message) {
    this(kind, message, null);
  }

  public Kind kind() {
    return kind;
  }
}
