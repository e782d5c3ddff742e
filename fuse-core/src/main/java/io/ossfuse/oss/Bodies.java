package io.ossfuse.oss;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * Sends ranged GETs of object bodies: through the SDK ({@link SdkBodies}) or the lean path ({@link
 * HttpBodies}).
 */
interface Bodies {
  /**
   * Sends a GET of bytes [offset, offset+length) of {@code key}, pinned to {@code etag} when not
   * null, and returns its body once the headers say it is exactly that range. A changed object is
   * {@link io.ossfuse.store.ObjectChangedException}; an error answer an {@link
   * io.ossfuse.store.ObjectStoreException} of its kind; a broken connection a plain IOException.
   */
  Body get(String key, String etag, long offset, long length) throws IOException;

  /**
   * As {@link #get(String, String, long, long)}; {@code abortWith} is handed, once the request is
   * on a connection, a way to abort it from another thread while it waits for the answer.
   */
  default Body get(String key, String etag, long offset, long length, Consumer<Runnable> abortWith)
      throws IOException {
    return get(key, etag, offset, length);
  }

  /**
   * Whether a request waiting for its answer can be aborted ({@code abortWith} is used): then a
   * read's first GET may run on the reader's own thread, since a hedge that wins can end it.
   */
  default boolean abortable() {
    return false;
  }

  void close();
}
