package io.ossfuse.recovery;

import java.io.IOException;

/**
 * Neither the state file nor its previous version can be read: the daemon refuses to start rather
 * than forget mounts whose children may still be serving. The message is the one line to print.
 */
public final class StateFileException extends IOException {
  /** {@code ossfuse daemon}'s exit status for it (EX_CONFIG): the unit does not restart on it. */
  public static final int EXIT_STATUS = 78;

  StateFileException(String message) {
    super(message);
  }
}
