package io.ossfuse.oss;

import com.aliyun.oss.ClientException;
import com.aliyun.oss.OSS;
import com.aliyun.oss.OSSException;
import com.aliyun.oss.model.GetObjectRequest;
import com.aliyun.oss.model.OSSObject;
import io.ossfuse.store.ObjectChangedException;
import io.ossfuse.store.ObjectStoreException;
import io.ossfuse.store.ObjectStoreException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Object bodies through aliyun-sdk-oss's {@code getObject}: the path for https endpoints. One
 * stream tops out near 565 MB/s on loopback (the SDK's byte-array stream), see {@link HttpBodies}
 * for http. {@code client}'s socket timeout is the idle timeout of the reads and it does not retry.
 */
final class SdkBodies implements Bodies {
  private final OSS client;
  private final String bucket;

  SdkBodies(OSS client, String bucket) {
    this.client = client;
    this.bucket = bucket;
  }

  @Override
  public Body get(String key, String etag, long offset, long length) throws IOException {
    GetObjectRequest req = new GetObjectRequest(bucket, key);
    req.setRange(offset, offset + length - 1);
    // Without this header OSS answers an out-of-range request with the whole object (200).
    req.addHeader("x-oss-range-behavior", "standard");
    if (etag != null) req.setMatchingETagConstraints(List.of(etag));
    OSSObject obj;
    try {
      obj = client.getObject(req);
    } catch (OSSException e) {
      if ("PreconditionFailed".equals(e.getErrorCode()))
        throw new ObjectChangedException(key, etag);
      throw OssObjectStore.translate(e, "get " + bucket + "/" + key);
    } catch (ClientException e) {
      throw OssObjectStore.translate(e, "get " + bucket + "/" + key);
    }
    String problem;
    try {
      problem =
          OssObjectStore.rangeProblem(
              header(obj, "Content-Length"), header(obj, "Content-Range"), offset, length);
    } catch (RuntimeException e) {
      close(obj, false);
      throw new IOException("answer for " + key + " unreadable: " + e.getMessage(), e);
    }
    if (problem != null) {
      close(obj, false);
      throw new ObjectStoreException(
          Kind.BAD_RESPONSE,
          "get " + bucket + "/" + key + " range " + offset + "+" + length + ": " + problem);
    }
    return new SdkBody(key, obj);
  }

  @Override
  public void close() {
    // the client belongs to the store, which shuts it down
  }

  private static String header(OSSObject obj, String name) {
    var headers = obj.getResponse() != null ? obj.getResponse().getHeaders() : null;
    if (headers == null) return null;
    for (var e : headers.entrySet()) {
      if (e.getKey() != null && e.getKey().equalsIgnoreCase(name)) return e.getValue();
    }
    return null;
  }

  /** A fully read body gives the connection back to the pool; anything else aborts it. */
  private static void close(OSSObject obj, boolean clean) {
    try {
      if (clean) obj.close();
      else obj.forcedClose();
    } catch (IOException | RuntimeException ignored) {
      // Closing a broken connection may fail again; the data decision is already made.
    }
  }

  /**
   * Per-thread scratch for reads into direct buffers (one array per block was 64 MiB of garbage per
   * GiB).
   */
  private static final ThreadLocal<byte[]> SCRATCH =
      ThreadLocal.withInitial(() -> new byte[256 * 1024]);

  private static final class SdkBody implements Body {
    private final String key;
    private final OSSObject obj;
    private final InputStream in;

    SdkBody(String key, OSSObject obj) {
      this.key = key;
      this.obj = obj;
      // getObjectContent() adds a CRC64 CheckedInputStream unconditionally (SDK 3.18.1), which caps
      // one
      // stream at ~500 MB/s of CPU and is useless for a range. Closing the OSSObject closes the
      // chain.
      this.in =
          obj.getResponse() != null && obj.getResponse().getContent() != null
              ? obj.getResponse().getContent()
              : obj.getObjectContent();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (!dst.hasRemaining()) return 0;
      try {
        if (dst.hasArray()) {
          int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
          if (n > 0) dst.position(dst.position() + n);
          return n;
        }
        byte[] buf = SCRATCH.get();
        int n = in.read(buf, 0, Math.min(buf.length, dst.remaining()));
        if (n > 0) dst.put(buf, 0, n);
        return n;
      } catch (RuntimeException e) {
        // The SDK wraps socket errors of the body stream in ClientException.
        throw new IOException("body of " + key + " broke: " + e.getMessage(), e);
      }
    }

    @Override
    public void abort() {
      SdkBodies.close(obj, false);
    }

    @Override
    public void close(boolean clean) {
      SdkBodies.close(obj, clean);
    }
  }
}
