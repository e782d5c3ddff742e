package io.ossfuse.mount;

/** A mount cannot be set up; the message is one line for the user: what, where, what to do. */
public class MountException extends Exception {
  public MountException(String message) {
    super(message);
  }

  public MountException(String message, Throwable cause) {
    super(message, cause);
  }
}
