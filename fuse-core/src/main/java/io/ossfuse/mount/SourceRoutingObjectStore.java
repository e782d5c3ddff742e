package io.ossfuse.mount;

import io.ossfuse.store.ListPage;
import io.ossfuse.store.ObjectMeta;
import io.ossfuse.store.ObjectStore;
import io.ossfuse.store.ObjectStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Several sources as one bucket whose top-level "directories" are the sources' names: key {@code
 * name/rest} is {@code rest} under source {@code name}'s directory prefix, in its own store. The
 * filesystem above it needs no change: it lists and looks up {@code name/} like any prefix. The
 * root lists the names; each name is a directory even while its source is empty (a marker object,
 * as OSS has for explicit directories); a key without a '/' names no object.
 */
final class SourceRoutingObjectStore implements ObjectStore {
  /** One source: its store and the directory prefix of its mount ("" or "dir/"). */
  record Route(String name, ObjectStore store, String prefix) {}

  private final Map<String, Route> routes = new TreeMap<>();
  private final String bucket;
  private final Instant created = Instant.now();

  SourceRoutingObjectStore(List<Route> routes) {
    List<String> parts = new ArrayList<>();
    for (Route r : routes) {
      this.routes.put(r.name(), r);
      parts.add(r.name() + "=" + r.store().bucket() + "/" + r.prefix());
    }
    // Cache keys are (bucket, key, ETag, block): the names keep the sources' keys apart.
    this.bucket = "sources:" + String.join(",", parts);
  }

  @Override
  public String bucket() {
    return bucket;
  }

  @Override
  public ListPage list(String prefix, String token, int maxKeys) throws IOException {
    if (prefix.isEmpty()) {
      List<String> names = new ArrayList<>();
      if (token == null) for (String n : routes.keySet()) names.add(n + "/");
      return new ListPage(List.of(), names, null);
    }
    int slash = prefix.indexOf('/');
    Route r = slash < 0 ? null : routes.get(prefix.substring(0, slash));
    if (r == null) return new ListPage(List.of(), List.of(), null);
    String inner = r.prefix() + prefix.substring(slash + 1);
    ListPage page = r.store().list(inner, token, maxKeys);
    List<ObjectMeta> objects = new ArrayList<>(page.objects().size() + 1);
    for (ObjectMeta m : page.objects()) objects.add(outer(r, m));
    List<String> prefixes = new ArrayList<>(page.commonPrefixes().size());
    for (String p : page.commonPrefixes()) prefixes.add(outer(r, p));
    boolean sourceRoot = slash == prefix.length() - 1;
    if (sourceRoot
        && token == null
        && objects.isEmpty()
        && prefixes.isEmpty()
        && page.nextToken() == null) {
      objects.add(new ObjectMeta(prefix, 0, "", created));
    }
    return new ListPage(objects, prefixes, page.nextToken());
  }

  @Override
  public Optional<ObjectMeta> head(String key) throws IOException {
    int slash = key.indexOf('/');
    Route r = slash < 0 ? null : routes.get(key.substring(0, slash));
    if (r == null || slash == key.length() - 1) return Optional.empty();
    return r.store().head(inner(r, key, slash)).map(m -> outer(r, m));
  }

  @Override
  public void read(String key, String etag, long offset, ByteBuffer dst) throws IOException {
    int slash = key.indexOf('/');
    Route r = route(key, slash);
    r.store().read(inner(r, key, slash), etag, offset, dst);
  }

  @Override
  public void readRun(String key, String etag, long offset, int[] lengths, RunSink sink)
      throws IOException {
    int slash = key.indexOf('/');
    Route r = route(key, slash);
    r.store().readRun(inner(r, key, slash), etag, offset, lengths, sink);
  }

  private Route route(String key, int slash) throws IOException {
    Route r = slash < 0 ? null : routes.get(key.substring(0, slash));
    if (r == null)
      throw new ObjectStoreException(
          ObjectStoreException.Kind.NOT_FOUND, "no source for key " + key);
    return r;
  }

  private static String inner(Route r, String key, int slash) {
    return r.prefix() + key.substring(slash + 1);
  }

  private static String outer(Route r, String innerKey) {
    return r.name() + "/" + innerKey.substring(Math.min(r.prefix().length(), innerKey.length()));
  }

  private static ObjectMeta outer(Route r, ObjectMeta m) {
    return new ObjectMeta(outer(r, m.key()), m.size(), m.etag(), m.lastModified());
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (Route r : routes.values()) {
      try {
        r.store().close();
      } catch (IOException e) {
        if (first == null) first = e;
      }
    }
    if (first != null) throw first;
  }
}
