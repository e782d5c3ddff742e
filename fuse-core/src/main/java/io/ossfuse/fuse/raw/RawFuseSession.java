package io.ossfuse.fuse.raw;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/** A running raw transport. It ends when its connection does (unmount or abort). */
public interface RawFuseSession {
  /** Waits until the serving mode is decided (on a fresh connection: once INIT is answered). */
  ServeMode awaitMode(Duration timeout) throws InterruptedException, TimeoutException;

  /** Waits until every worker stopped because the connection ended. */
  void awaitTermination() throws InterruptedException;

  boolean awaitTermination(Duration timeout) throws InterruptedException;

  /** Why the session ended, if it ended by a failure rather than the connection going away. */
  Optional<Throwable> failure();

  /**
   * Opens answered with a backing file by this process; -1 when passthrough is off for the session.
   */
  default long passthroughOpens() {
    return -1;
  }
}
