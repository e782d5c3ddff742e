package io.ossfuse.cache;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Waiting for a block load shared by several readers. */
public final class Loads {
  private Loads() {}

  /**
   * The load's result, or its failure as thrown by the loader (an IOException as it is); an
   * interrupt is kept and ends the wait with an {@link InterruptedIOException}.
   */
  public static <T> T await(CompletableFuture<T> load) throws IOException {
    try {
      return load.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for a block load");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) throw io;
      if (c instanceof RuntimeException re) throw re;
      if (c instanceof Error err) throw err;
      throw new IOException(c);
    }
  }
}
