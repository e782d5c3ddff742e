package io.ossfuse.cache;

/**
 * An invalid cache configuration. The message is one line that names the field, the level and the
 * fix, fit to show a user as is.
 */
public final class CacheConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public CacheConfigException(String message) {
    super(message);
  }

  public CacheConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
