package io.ossfuse.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-memory {@link ObjectStore} with OSS listing semantics (sorted keys, delimiter "/", common
 * prefixes, continuation tokens). For unit tests of the filesystem and anything above it; counts
 * requests so tests can assert how many round trips an operation costs.
 */
public final class MemoryObjectStore implements ObjectStore {
  private record Obj(byte[] data, String etag, Instant mtime) {}

  private final String bucket;
  private final ConcurrentSkipListMap<String, Obj> objects = new ConcurrentSkipListMap<>();
  private final AtomicLong lists = new AtomicLong();
  private final AtomicLong heads = new AtomicLong();
  private final AtomicLong reads = new AtomicLong();
  private final AtomicLong bytesRead = new AtomicLong();
  private volatile Instant clock = Instant.parse("2026-01-01T00:00:00Z");

  public MemoryObjectStore(String bucket) {
    this.bucket = bucket;
  }

  /** Stores {@code data} under {@code key} (a key ending in "/" is a directory marker). */
  public MemoryObjectStore put(String key, byte[] data) {
    objects.put(key, new Obj(data.clone(), etagOf(data, key), clock));
    return this;
  }

  public MemoryObjectStore put(String key, String utf8) {
    return put(key, utf8.getBytes(StandardCharsets.UTF_8));
  }

  public void delete(String key) {
    objects.remove(key);
  }

  /** The Last-Modified stamped on objects put from now on. */
  public void setTime(Instant now) {
    this.clock = now;
  }

  public long listCalls() {
    return lists.get();
  }

  public long headCalls() {
    return heads.get();
  }

  public long readCalls() {
    return reads.get();
  }

  public long bytesRead() {
    return bytesRead.get();
  }

  public void resetCounters() {
    lists.set(0);
    heads.set(0);
    reads.set(0);
    bytesRead.set(0);
  }

  @Override
  public String bucket() {
    return bucket;
  }

  @Override
  public ListPage list(String prefix, String token, int maxKeys) throws IOException {
    lists.incrementAndGet();
    if (maxKeys <= 0) throw new IllegalArgumentException("maxKeys must be > 0");
    // The token is the last key or common prefix returned; entries after it follow.
    String after = token;
    List<ObjectMeta> metas = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    String last = null;
    int count = 0;
    var tail = after == null ? objects.tailMap(prefix, true) : objects.tailMap(after, false);
    for (Map.Entry<String, Obj> e : tail.entrySet()) {
      String key = e.getKey();
      if (!key.startsWith(prefix)) break;
      int slash = key.indexOf('/', prefix.length());
      if (slash >= 0) {
        String cp = key.substring(0, slash + 1);
        if (after != null && cp.compareTo(after) <= 0) continue;
        if (!prefixes.isEmpty() && prefixes.get(prefixes.size() - 1).equals(cp)) continue;
        if (count == maxKeys) return new ListPage(metas, prefixes, last);
        prefixes.add(cp);
        last = cp;
        // Skip everything under this common prefix: it rolls up into one entry.
        after = cp + Character.MAX_VALUE;
      } else {
        if (count == maxKeys) return new ListPage(metas, prefixes, last);
        Obj o = e.getValue();
        metas.add(new ObjectMeta(key, o.data.length, o.etag, o.mtime));
        last = key;
      }
      count++;
    }
    return new ListPage(metas, prefixes, null);
  }

  @Override
  public Optional<ObjectMeta> head(String key) throws IOException {
    heads.incrementAndGet();
    Obj o = objects.get(key);
    return o == null
        ? Optional.empty()
        : Optional.of(new ObjectMeta(key, o.data.length, o.etag, o.mtime));
  }

  @Override
  public void read(String key, String etag, long offset, ByteBuffer dst) throws IOException {
    reads.incrementAndGet();
    Obj o = objects.get(key);
    if (o == null)
      throw new ObjectStoreException(ObjectStoreException.Kind.NOT_FOUND, "no such key " + key);
    if (etag != null && !etag.equals(o.etag)) throw new ObjectChangedException(key, etag);
    int n = dst.remaining();
    if (offset < 0 || offset + n > o.data.length) {
      throw new ObjectStoreException(
          ObjectStoreException.Kind.BAD_RESPONSE,
          "range " + offset + "+" + n + " outside " + key + " (" + o.data.length + " bytes)");
    }
    dst.put(o.data, (int) offset, n);
    bytesRead.addAndGet(n);
  }

  private static String etagOf(byte[] data, String key) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(data);
      return HexFormat.of().withUpperCase().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
