package io.ossfuse.oss;

import com.aliyun.oss.ClientException;
import com.aliyun.oss.HttpMethod;
import com.aliyun.oss.OSS;
import com.aliyun.oss.model.GeneratePresignedUrlRequest;
import io.ossfuse.store.ObjectChangedException;
import io.ossfuse.store.ObjectStoreException;
import io.ossfuse.store.ObjectStoreException.Kind;
import java.io.IOException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Date;
import java.util.Deque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Object bodies over plain HTTP/1.1 on our own keep-alive connections ({@link HttpConnection}), the
 * bytes read from the socket straight into the destination buffer: one stream reaches ~2 GB/s on
 * loopback where the SDK's {@code getObject} stops near 565 MB/s. Signing stays in the SDK: each
 * GET goes to a URL the SDK presigned ({@code generatePresignedUrl}: V1 or V4, the STS token,
 * virtual-host or path style exactly as the SDK's own requests), with Range, x-oss-range-behavior
 * and If-Match as headers. http endpoints only; https bodies go through {@link SdkBodies}.
 */
final class HttpBodies implements Bodies {
  /**
   * How long a presigned URL stays valid: it is used at once, so this only has to cover clock skew.
   */
  static final Duration PRESIGN_VALIDITY = Duration.ofMinutes(15);

  /** How long a presigned URL is reused: well within its validity, whatever the clock skew. */
  static final Duration PRESIGN_REUSE = Duration.ofMinutes(1);

  /** Keys whose presigned URL is kept at most; beyond that the map starts over. */
  static final int SIGNED_URLS_MAX = 4096;

  /**
   * A pooled connection idle longer than this is closed rather than reused (servers close idle
   * ones).
   */
  static final long POOL_IDLE_NANOS = TimeUnit.SECONDS.toNanos(20);

  static final int POOL_MAX_PER_HOST = 32;

  /** An error answer's body is read up to this size for its Code and Message. */
  private static final int ERROR_BODY_MAX = 16 * 1024;

  private static final Pattern CODE = Pattern.compile("<Code>([^<]*)</Code>");
  private static final Pattern MESSAGE = Pattern.compile("<Message>([^<]*)</Message>");

  /** A response this path cannot read (e.g. a chunked body): the caller switches to the SDK. */
  static final class Unsupported extends IOException {
    Unsupported(String message) {
      super(message);
    }
  }

  private final OSS signer;
  private final String bucket;
  private final int connectTimeoutMillis;
  private final long idleNanos;
  private final ConcurrentHashMap<String, Deque<HttpConnection>> pool = new ConcurrentHashMap<>();

  /** Presigned URLs by key, reused for {@link #PRESIGN_REUSE}. */
  private final ConcurrentHashMap<String, Signed> signedUrls = new ConcurrentHashMap<>();

  /** Connections carrying a request now, watched for silence longer than the idle timeout. */
  private final Set<HttpConnection> busy = ConcurrentHashMap.newKeySet();

  private final ScheduledFuture<?> watchdog;
  private volatile boolean closed;

  /** Connections opened so far (tests check that keep-alive works). */
  private final java.util.concurrent.atomic.AtomicLong opened =
      new java.util.concurrent.atomic.AtomicLong();

  HttpBodies(
      OSS signer,
      String bucket,
      Duration connectTimeout,
      Duration idle,
      ScheduledExecutorService timer) {
    this.signer = signer;
    this.bucket = bucket;
    this.connectTimeoutMillis = (int) Math.max(1, connectTimeout.toMillis());
    this.idleNanos = idle.toNanos();
    long tick = Math.max(10, Math.min(1000, idle.toMillis() / 4));
    this.watchdog = timer.scheduleAtFixedRate(this::abortSilent, tick, tick, TimeUnit.MILLISECONDS);
  }

  @Override
  public Body get(String key, String etag, long offset, long length) throws IOException {
    return get(key, etag, offset, length, null);
  }

  @Override
  public boolean abortable() {
    return true;
  }

  @Override
  public Body get(String key, String etag, long offset, long length, Consumer<Runnable> abortWith)
      throws IOException {
    String what = "get " + bucket + "/" + key;
    Signed signed = signed(key, what);
    try {
      return get(signed, key, etag, offset, length, what, abortWith);
    } catch (ObjectStoreException e) {
      // a reused URL the endpoint no longer takes (keys rotated, token revoked): sign afresh once
      if (e.kind() != Kind.ACCESS_DENIED || !signedUrls.remove(key, signed)) throw e;
      return get(signed(key, what), key, etag, offset, length, what, abortWith);
    }
  }

  private Body get(
      Signed signed,
      String key,
      String etag,
      long offset,
      long length,
      String what,
      Consumer<Runnable> abortWith)
      throws IOException {
    String request =
        signed.head
            + "Range: bytes="
            + offset
            + "-"
            + (offset + length - 1)
            + "\r\n"
            + (pinned(etag) ? "If-Match: " + etag + "\r\n" : "")
            + "\r\n";
    String host = signed.host;
    int port = signed.port;
    for (int attempt = 0; ; attempt++) {
      HttpConnection c = attempt == 0 ? pooled(signed.authority) : null;
      if (c == null) {
        try {
          c = HttpConnection.open(host, port, connectTimeoutMillis);
          opened.incrementAndGet();
        } catch (IOException e) {
          throw new ObjectStoreException(
              Kind.UNAVAILABLE, what + ": cannot reach the endpoint (" + e.getMessage() + ")", e);
        }
      }
      c.lastProgress = System.nanoTime();
      busy.add(c);
      if (closed) {
        release(c, false);
        throw new ObjectStoreException(Kind.OTHER, what + ": the store is closed");
      }
      if (abortWith != null) {
        HttpConnection conn = c;
        abortWith.accept(() -> conn.abort("the request was cancelled"));
      }
      HttpConnection.Head head;
      try {
        c.send(request);
        head = c.readHead();
      } catch (IOException e) {
        release(c, false);
        // A pooled connection the server closed while it sat idle: once more on a new one.
        if (c.responses > 0 && c.headBytes == 0 && attempt == 0) continue;
        throw e;
      }
      return answer(c, head, what, key, etag, offset, length);
    }
  }

  /** A read pinned to a version; an endpoint that gave no ETag (empty) cannot pin one. */
  private static boolean pinned(String etag) {
    return etag != null && !etag.isEmpty();
  }

  long connectionsOpened() {
    return opened.get();
  }

  /**
   * A presigned GET of {@code key} and the request head that goes with it: reused for {@link
   * #PRESIGN_REUSE} (the SDK's signing costs ~70 us, as much as a 4 KiB GET on loopback), well
   * within its validity. Range and If-Match are not signed, so one URL serves every read of the
   * key.
   */
  private Signed signed(String key, String what) throws IOException {
    long now = System.nanoTime();
    Signed s = signedUrls.get(key);
    if (s != null && now - s.signedAt < PRESIGN_REUSE.toNanos()) return s;
    URL url = presign(key, what);
    String host = url.getHost();
    int port = url.getPort() < 0 ? url.getDefaultPort() : url.getPort();
    String head =
        "GET "
            + url.getFile()
            + " HTTP/1.1\r\n"
            + "Host: "
            + host
            + (url.getPort() < 0 ? "" : ":" + url.getPort())
            + "\r\n"
            + "User-Agent: ossfuse\r\n"
            // signed into the URL; without it OSS answers an out-of-range request with the whole
            // object
            + "x-oss-range-behavior: standard\r\n";
    s = new Signed(host, port, host + ":" + port, head, now);
    if (signedUrls.size() >= SIGNED_URLS_MAX) signedUrls.clear();
    signedUrls.put(key, s);
    return s;
  }

  /** A presigned URL's request head (request line, Host, signed headers) and where it goes. */
  private record Signed(String host, int port, String authority, String head, long signedAt) {}

  private URL presign(String key, String what) throws IOException {
    GeneratePresignedUrlRequest r = new GeneratePresignedUrlRequest(bucket, key, HttpMethod.GET);
    r.setExpiration(new Date(System.currentTimeMillis() + PRESIGN_VALIDITY.toMillis()));
    r.addHeader("x-oss-range-behavior", "standard");
    try {
      return signer.generatePresignedUrl(r);
    } catch (ClientException e) {
      throw OssObjectStore.translate(e, what);
    }
  }

  private Body answer(
      HttpConnection c,
      HttpConnection.Head h,
      String what,
      String key,
      String etag,
      long offset,
      long length)
      throws IOException {
    int status = h.status();
    if (status != 200 && status != 206) throw error(c, h, what, key, etag);
    String te = h.header("transfer-encoding");
    if (te != null && !te.equalsIgnoreCase("identity")) {
      release(c, false);
      throw new Unsupported(what + ": the endpoint sent a body with Transfer-Encoding " + te);
    }
    String tag = h.header("etag");
    if (pinned(etag) && tag != null && !OssObjectStore.unquote(tag).equalsIgnoreCase(etag)) {
      release(c, false);
      throw new ObjectChangedException(key, etag);
    }
    String cl = h.header("content-length");
    String problem;
    long remaining;
    try {
      problem = OssObjectStore.rangeProblem(cl, h.header("content-range"), offset, length);
      remaining = cl == null ? -1 : Long.parseLong(cl.strip());
    } catch (RuntimeException e) {
      release(c, false);
      throw new IOException("answer for " + key + " unreadable: " + e.getMessage(), e);
    }
    if (problem != null) {
      release(c, false);
      throw new ObjectStoreException(
          Kind.BAD_RESPONSE, what + " range " + offset + "+" + length + ": " + problem);
    }
    return new HttpBody(c, remaining, remaining >= 0 && h.persistent());
  }

  /**
   * An error answer, as the SDK would have reported it: by the Code in its XML body, else by
   * status.
   */
  private IOException error(
      HttpConnection c, HttpConnection.Head h, String what, String key, String etag) {
    String xml = "";
    boolean clean = false;
    try {
      String cl = h.header("content-length");
      long len = cl == null ? -1 : Long.parseLong(cl.strip());
      ByteBuffer b = ByteBuffer.allocate(ERROR_BODY_MAX);
      long left = len < 0 ? ERROR_BODY_MAX : Math.min(len, ERROR_BODY_MAX);
      while (left > 0) {
        int n = c.read(b, (int) left);
        if (n < 0) break;
        left -= n;
      }
      xml = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
      clean =
          len >= 0
              && len <= ERROR_BODY_MAX
              && b.position() == len
              && h.persistent()
              && h.header("transfer-encoding") == null;
    } catch (IOException | RuntimeException ignored) {
      // the status alone decides then
    } finally {
      release(c, clean);
    }
    String code = first(CODE, xml);
    String message = first(MESSAGE, xml);
    if (h.status() == 412 || "PreconditionFailed".equals(code))
      return new ObjectChangedException(key, etag);
    Kind kind = code.isEmpty() ? Kind.OTHER : OssObjectStore.kind(code);
    if (kind == Kind.OTHER) {
      int s = h.status();
      kind =
          s >= 500
              ? Kind.UNAVAILABLE
              : s == 403 ? Kind.ACCESS_DENIED : s == 404 ? Kind.NOT_FOUND : Kind.OTHER;
    }
    String msg =
        what
            + ": "
            + (code.isEmpty() ? "HTTP " + h.status() : code)
            + (message.isEmpty() ? "" : " (" + message + ")");
    return new ObjectStoreException(kind, msg);
  }

  private static String first(Pattern p, String s) {
    Matcher m = p.matcher(s);
    return m.find() ? m.group(1).strip() : "";
  }

  private HttpConnection pooled(String authority) {
    Deque<HttpConnection> idle = pool.get(authority);
    if (idle == null) return null;
    long now = System.nanoTime();
    HttpConnection c;
    while ((c = idle.pollFirst()) != null) {
      if (now - c.idleSince < POOL_IDLE_NANOS) return c;
      c.close();
    }
    return null;
  }

  /**
   * Ends the connection's part in a request: back to the pool when its response was read cleanly.
   */
  private void release(HttpConnection c, boolean reusable) {
    if (!busy.remove(c)) return;
    if (reusable && !closed && c.drained()) {
      Deque<HttpConnection> idle =
          pool.computeIfAbsent(c.authority, a -> new ConcurrentLinkedDeque<>());
      if (idle.size() < POOL_MAX_PER_HOST) {
        c.idleSince = System.nanoTime();
        idle.offerFirst(c);
        if (closed && idle.remove(c)) c.close();
        return;
      }
    }
    c.close();
  }

  /** The idle timeout: a request silent for that long is aborted, its reader fails at once. */
  private void abortSilent() {
    long now = System.nanoTime();
    for (HttpConnection c : busy) {
      if (now - c.lastProgress > idleNanos) {
        c.abort(
            "no byte from the endpoint for " + TimeUnit.NANOSECONDS.toMillis(idleNanos) + " ms");
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    watchdog.cancel(false);
    for (HttpConnection c : busy) c.abort("the store is closed");
    for (Deque<HttpConnection> idle : pool.values()) {
      HttpConnection c;
      while ((c = idle.pollFirst()) != null) c.close();
    }
  }

  /**
   * A body delimited by Content-Length ({@code remaining} >= 0) or by the server closing the
   * connection.
   */
  private final class HttpBody implements Body {
    private final HttpConnection c;
    private long remaining;
    private final boolean persistent;
    private boolean ended;

    /**
     * Released to the pool or closed: an abort arriving late must not hit the connection's next
     * request.
     */
    private boolean released;

    HttpBody(HttpConnection c, long remaining, boolean persistent) {
      this.c = c;
      this.remaining = remaining;
      this.persistent = persistent;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (remaining == 0 || ended) return -1;
      if (!dst.hasRemaining()) return 0;
      int max = remaining > 0 && remaining < dst.remaining() ? (int) remaining : dst.remaining();
      int n = c.read(dst, max);
      if (n < 0) {
        ended = true;
        return -1;
      }
      if (remaining > 0) remaining -= n;
      return n;
    }

    @Override
    public synchronized void abort() {
      if (!released) c.abort("the request was cancelled");
    }

    @Override
    public void close(boolean clean) {
      synchronized (this) {
        if (released) return;
        released = true;
      }
      release(c, clean && persistent && remaining == 0);
    }
  }
}
