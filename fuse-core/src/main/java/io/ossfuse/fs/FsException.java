package io.ossfuse.fs;

/**
 * A filesystem operation failed with a definite errno. The only error type transports translate.
 */
public class FsException extends Exception {
  private final Errno errno;

  public FsException(Errno errno, String message) {
    this(errno, message, null);
  }

  public FsException(Errno errno, String message, Throwable cause) {
    super(message, cause, false, cause != null);
    this.errno = errno;
  }

  public Errno errno() {
    return errno;
  }
}
