package io.ossfuse.stats;

import io.ossfuse.store.ListPage;
import io.ossfuse.store.ObjectMeta;
import io.ossfuse.store.ObjectStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;

/** Counts requests, failures and received bytes per object-store operation: list, head, get. */
final class MeteredObjectStore implements ObjectStore {
  private final ObjectStore store;
  private final MountMetrics m;

  MeteredObjectStore(ObjectStore store, MountMetrics m) {
    this.store = store;
    this.m = m;
  }

  @Override
  public String bucket() {
    return store.bucket();
  }

  @Override
  public ListPage list(String prefix, String token, int maxKeys) throws IOException {
    boolean ok = false;
    try {
      ListPage p = store.list(prefix, token, maxKeys);
      ok = true;
      return p;
    } finally {
      m.oss("list", 0, !ok);
    }
  }

  @Override
  public Optional<ObjectMeta> head(String key) throws IOException {
    boolean ok = false;
    try {
      Optional<ObjectMeta> r = store.head(key);
      ok = true;
      return r;
    } finally {
      m.oss("head", 0, !ok);
    }
  }

  @Override
  public void read(String key, String etag, long offset, ByteBuffer dst) throws IOException {
    int before = dst.position();
    boolean ok = false;
    try {
      store.read(key, etag, offset, dst);
      ok = true;
    } finally {
      m.oss("get", ok ? dst.position() - before : 0, !ok);
    }
  }

  @Override
  public void readRun(String key, String etag, long offset, int[] lengths, RunSink sink)
      throws IOException {
    long[] got = {0};
    boolean ok = false;
    try {
      store.readRun(
          key,
          etag,
          offset,
          lengths,
          new RunSink() {
            @Override
            public ByteBuffer buffer(int index, int length) throws IOException {
              return sink.buffer(index, length);
            }

            @Override
            public void filled(int index, ByteBuffer dst) throws IOException {
              got[0] += lengths[index];
              sink.filled(index, dst);
            }
          });
      ok = true;
    } finally {
      m.oss("get", got[0], !ok);
    }
  }

  @Override
  public void close() throws IOException {
    store.close();
  }
}
