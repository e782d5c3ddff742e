package io.ossfuse.fs;

import io.ossfuse.store.ObjectChangedException;
import io.ossfuse.store.ObjectStoreException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place failures become errnos: store failures become {@link FsException}s inside the
 * filesystem ({@link #toFs}), and whatever a filesystem call threw becomes the negative errno a
 * transport replies with ({@link #reply}).
 */
public final class Errors {
  private static final Logger LOG = LoggerFactory.getLogger(Errors.class);

  private Errors() {}

  /**
   * The negative errno a transport answers {@code op} on {@code target} with when it threw {@code
   * t}: an {@link FsException}'s own errno; anything else is a bug or an unexpected failure,
   * answered EIO and logged with its stack.
   */
  public static int reply(Throwable t, String op, Object target) {
    if (t instanceof FsException fe) {
      if (LOG.isDebugEnabled()) {
        LOG.debug("{} {}: {} {}", op, target, fe.errno(), fe.getMessage());
      }
      return fe.errno().negative();
    }
    LOG.warn("{} {} failed unexpectedly, answering EIO", op, target, t);
    return Errno.EIO.negative();
  }

  static FsException toFs(Throwable t, String what) {
    Throwable e = unwrap(t);
    if (e instanceof FsException fe) return fe;
    if (e instanceof ObjectChangedException) {
      return new FsException(
          Errno.EIO, what + ": the object changed while open (reopen the file)", e);
    }
    if (e instanceof ObjectStoreException se) {
      Errno errno =
          switch (se.kind()) {
            case NOT_FOUND -> Errno.ENOENT;
            case ACCESS_DENIED -> Errno.EACCES;
            case NO_SUCH_BUCKET, UNAVAILABLE, BAD_RESPONSE, OTHER -> Errno.EIO;
          };
      return new FsException(errno, what + ": " + se.getMessage(), se);
    }
    if (e instanceof InterruptedException || e instanceof InterruptedIOException) {
      return new FsException(Errno.EINTR, what + ": interrupted", e);
    }
    return new FsException(Errno.EIO, what + ": " + e, e);
  }

  /**
   * Finds the meaningful cause below wrappers added by caches and futures: the first {@link
   * FsException} or {@link ObjectStoreException} in the cause chain, else the innermost cause of
   * plain wrappers, else {@code t} itself.
   */
  static Throwable unwrap(Throwable t) {
    for (Throwable e = t; e != null; e = e.getCause()) {
      if (e instanceof FsException || e instanceof ObjectStoreException) return e;
      if (e.getCause() == e) break;
    }
    Throwable e = t;
    while ((e instanceof CompletionException
            || e instanceof ExecutionException
            || e instanceof UncheckedIOException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  static Errno errnoOf(Throwable t) {
    return toFs(t, "").errno();
  }
}
