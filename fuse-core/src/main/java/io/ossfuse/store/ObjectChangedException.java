package io.ossfuse.store;

/** The object was overwritten since its ETag was read (HTTP 412 on If-Match). */
public class ObjectChangedException extends ObjectStoreException {
  public ObjectChangedException(String key, String expectedEtag) {
    super(Kind.OTHER, "object " + key + " changed (expected ETag " + expectedEtag + ")");
  }
}
