package io.ossfuse.oss;

import java.io.IOException;

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

  void close();
}
