package io.ossfuse.oss;

import com.aliyun.oss.ClientBuilderConfiguration;
import com.aliyun.oss.ClientException;
import com.aliyun.oss.OSS;
import com.aliyun.oss.OSSClientBuilder;
import com.aliyun.oss.OSSException;
import com.aliyun.oss.common.comm.SignVersion;
import com.aliyun.oss.model.ListObjectsV2Request;
import com.aliyun.oss.model.ListObjectsV2Result;
import com.aliyun.oss.model.OSSObjectSummary;
import com.aliyun.oss.model.ObjectMetadata;
import io.ossfuse.store.ListPage;
import io.ossfuse.store.ObjectMeta;
import io.ossfuse.store.ObjectStore;
import io.ossfuse.store.ObjectStoreException;
import io.ossfuse.store.ObjectStoreException.Kind;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ObjectStore} over aliyun-sdk-oss. Listings and HEADs go through one SDK client that
 * retries failed requests itself. Object bodies ({@link Bodies}) go, for an http endpoint, over our
 * own connections to URLs the SDK presigned ({@link HttpBodies}, ~4x the SDK's single-stream rate),
 * and for https through a second SDK client whose socket timeout is the idle timeout of {@link
 * BodyTimeouts} and which does not retry ({@link SdkBodies}). Either way {@link HedgedRead}
 * retries, hedges and bounds each read in time. Every failure leaves as an {@link
 * ObjectStoreException} with a {@link Kind}.
 *
 * <p>Over 400 lines: listing, HEAD and the three body reads (one GET, a run, a run in parallel
 * parts) share one deadline and error mapping; the body reads are the part to move out next.
 */
public final class OssObjectStore implements ObjectStore {
  private static final Logger LOG = LoggerFactory.getLogger(OssObjectStore.class);
  // The SDK logs every failed request, multi-line, through commons-logging -> java.util.logging.
  // We translate and report failures ourselves, so silence it (kept strongly reachable: JUL holds
  // loggers weakly and would forget the level).
  private static final java.util.logging.Logger SDK_LOG =
      java.util.logging.Logger.getLogger("com.aliyun");

  static {
    SDK_LOG.setLevel(java.util.logging.Level.OFF);
  }

  private final OSS client;

  /**
   * For object bodies only: socket timeout = the idle timeout, no SDK retries (see class comment).
   */
  private final OSS bodyClient;

  /**
   * The SDK's body path: https endpoints, and the fallback when the lean path cannot read an
   * answer.
   */
  private final Bodies sdkBodies;

  /**
   * Where object bodies come from now: {@link HttpBodies} for http endpoints, else {@link
   * #sdkBodies}.
   */
  private volatile Bodies bodies;

  private final String bucket;
  private final int bodyRetries;
  private final BodyTimeouts timeouts;

  /**
   * Runs the ranged GETs of {@link #read}, so that its caller can hedge them and give up at the
   * deadline.
   */
  private final ExecutorService attempts = Executors.newCachedThreadPool(daemon("oss-get-"));

  /** Runs the parts of a body fetched on parallel connections ({@link ParallelParts}). */
  private final ExecutorService partWorkers = Executors.newCachedThreadPool(daemon("oss-part-"));

  /**
   * Connections one body (a read, a piece of a run) is fetched on at most; 1 = one GET per read or
   * run.
   */
  private final int maxParts;

  /** One connection's recent rate: parts only when it is slow (a remote endpoint, not loopback). */
  private final StreamRate streamRate = new StreamRate();

  /** Aborts a {@link #readRun} piece still unread at the deadline (a body that trickles). */
  private final ScheduledExecutorService deadlines =
      Executors.newSingleThreadScheduledExecutor(daemon("oss-deadline-"));

  /**
   * A range that just hit its deadline fails at once for a moment (the kernel re-reads a failed
   * page at once).
   */
  private final RecentTimeouts recentTimeouts;

  /** Hedges and bounds in time the first GET of a read, which runs on the reader's thread. */
  private final HedgedRead.Watch inlineWatch;

  OssObjectStore(
      OSS client,
      OSS bodyClient,
      String bucket,
      int bodyRetries,
      BodyTimeouts timeouts,
      boolean leanBodies,
      Duration connectTimeout,
      int maxParts) {
    this.client = client;
    this.bodyClient = bodyClient;
    this.sdkBodies = new SdkBodies(bodyClient, bucket);
    this.bodies =
        leanBodies
            ? new HttpBodies(bodyClient, bucket, connectTimeout, timeouts.idle(), deadlines)
            : sdkBodies;
    this.bucket = bucket;
    this.maxParts = Math.max(1, maxParts);
    this.bodyRetries = bodyRetries;
    this.timeouts = timeouts;
    this.inlineWatch = new HedgedRead.Watch(deadlines, timeouts);
    Duration window = Duration.ofSeconds(1);
    this.recentTimeouts =
        new RecentTimeouts(
            timeouts.deadline().compareTo(window) < 0 ? timeouts.deadline() : window);
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Builds the SDK clients for {@code config}; nothing is sent until the first call. Object bodies
   * of an http endpoint take the lean path unless the system property {@value
   * #LEAN_BODIES_PROPERTY} is false.
   */
  public static OssObjectStore open(OssConfig config) {
    return open(
        config,
        config.endpoint().startsWith("http://")
            && !"false".equalsIgnoreCase(System.getProperty(LEAN_BODIES_PROPERTY)));
  }

  /** Set to false to read object bodies through the SDK's getObject also on http endpoints. */
  public static final String LEAN_BODIES_PROPERTY = "ossfuse.oss.leanBodies";

  /**
   * Connections one body is fetched on at most ({@link #DEFAULT_BODY_CONNECTIONS}); 1 turns parts
   * off.
   */
  public static final String BODY_CONNECTIONS_PROPERTY = "ossfuse.oss.bodyConnections";

  public static final int DEFAULT_BODY_CONNECTIONS = 4;

  /** A part is at least this long: bodies shorter than two parts take one GET. */
  static final int MIN_PART = 1 << 20;

  static OssObjectStore open(OssConfig config, boolean leanBodies) {
    return open(
        config,
        leanBodies,
        Integer.getInteger(BODY_CONNECTIONS_PROPERTY, DEFAULT_BODY_CONNECTIONS));
  }

  /** {@code maxParts}: connections one body is fetched on at most (1: one GET per read or run). */
  static OssObjectStore open(OssConfig config, boolean leanBodies, int maxParts) {
    BodyTimeouts bodies = config.bodies();
    return new OssObjectStore(
        client(config, config.socketTimeout(), config.sdkRetries()),
        client(config, bodies.idle(), 0),
        config.source().bucket(),
        config.bodyRetries(),
        bodies,
        leanBodies,
        config.connectTimeout(),
        maxParts);
  }

  /** Whether object bodies take the lean path now (for tests and diagnostics). */
  boolean leanBodies() {
    return bodies instanceof HttpBodies;
  }

  /** Connections the lean path has opened so far; -1 when it is not in use. */
  long leanConnectionsOpened() {
    return bodies instanceof HttpBodies h ? h.connectionsOpened() : -1;
  }

  private static OSS client(OssConfig config, Duration socketTimeout, int retries) {
    ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
    conf.setConnectionTimeout((int) config.connectTimeout().toMillis());
    conf.setSocketTimeout((int) socketTimeout.toMillis());
    conf.setMaxErrorRetry(retries);
    conf.setMaxConnections(128);
    conf.setUserAgent("ossfuse");
    // Client-side CRC64 checks cover whole objects only; we read ranges and check their lengths.
    conf.setCrcCheckEnabled(false);
    conf.setSignatureVersion(
        config.signature() == SignatureVersion.V4 ? SignVersion.V4 : SignVersion.V1);
    var builder =
        OSSClientBuilder.create()
            .endpoint(config.endpoint())
            .credentialsProvider(config.credentials())
            .clientConfiguration(conf);
    if (config.region() != null) builder.region(config.region());
    return builder.build();
  }

  @Override
  public String bucket() {
    return bucket;
  }

  @Override
  public ListPage list(String prefix, String token, int maxKeys) throws IOException {
    ListObjectsV2Request req = new ListObjectsV2Request(bucket);
    req.setPrefix(prefix);
    req.setDelimiter("/");
    req.setMaxKeys(Math.max(1, Math.min(1000, maxKeys)));
    req.setEncodingType("url");
    if (token != null) req.setContinuationToken(token);
    ListObjectsV2Result r;
    try {
      r = client.listObjectsV2(req);
    } catch (RuntimeException e) {
      throw translate(e, "list " + bucket + "/" + prefix);
    }
    // We ask for encoding-type=url (keys may hold characters XML cannot carry); SDK 3.18.1
    // does not decode ListObjectsV2 results itself, so decode whatever the server says it encoded.
    boolean encoded = "url".equalsIgnoreCase(r.getEncodingType());
    List<ObjectMeta> objects = new ArrayList<>(r.getObjectSummaries().size());
    for (OSSObjectSummary s : r.getObjectSummaries()) {
      Instant mtime = s.getLastModified() == null ? Instant.EPOCH : s.getLastModified().toInstant();
      objects.add(
          new ObjectMeta(decode(s.getKey(), encoded), s.getSize(), unquote(s.getETag()), mtime));
    }
    List<String> prefixes = new ArrayList<>(r.getCommonPrefixes().size());
    for (String p : r.getCommonPrefixes()) prefixes.add(decode(p, encoded));
    String next = r.isTruncated() ? r.getNextContinuationToken() : null;
    if (r.isTruncated() && (next == null || next.isEmpty())) {
      throw new ObjectStoreException(
          Kind.BAD_RESPONSE,
          "list " + bucket + "/" + prefix + ": truncated listing without a continuation token");
    }
    return new ListPage(objects, prefixes, next);
  }

  @Override
  public Optional<ObjectMeta> head(String key) throws IOException {
    try {
      ObjectMetadata md = client.getObjectMetadata(bucket, key);
      Instant mtime =
          md.getLastModified() == null ? Instant.EPOCH : md.getLastModified().toInstant();
      return Optional.of(new ObjectMeta(key, md.getContentLength(), unquote(md.getETag()), mtime));
    } catch (OSSException e) {
      if ("NoSuchKey".equals(e.getErrorCode())) return Optional.empty();
      throw translate(e, "head " + bucket + "/" + key);
    } catch (RuntimeException e) {
      throw translate(e, "head " + bucket + "/" + key);
    }
  }

  @Override
  public void read(String key, String etag, long offset, ByteBuffer dst) throws IOException {
    int want = dst.remaining();
    if (want == 0) return;
    if (offset < 0) throw new IllegalArgumentException("offset < 0");
    int parts = parts(want);
    if (parts > 1) {
      // each part is a read of its own: hedged, retried and bounded in time by itself
      new ParallelParts(partWorkers)
          .run(offset, dst, parts, (off, slice, p) -> readRange(key, etag, off, slice));
      return;
    }
    readRange(key, etag, offset, dst);
  }

  private void readRange(String key, String etag, long offset, ByteBuffer dst) throws IOException {
    int want = dst.remaining();
    String what = "read " + bucket + "/" + key + " [" + offset + "+" + want + "]";
    String range = RecentTimeouts.range(key, etag, offset, want);
    if (recentTimeouts.recent(range)) {
      throw new ObjectStoreException(
          Kind.UNAVAILABLE,
          what
              + ": the endpoint left this range unanswered for "
              + timeouts.deadline().toMillis()
              + " ms a moment ago; not asked again yet");
    }
    try {
      new HedgedRead(
              attempts,
              bodies.abortable() ? inlineWatch : null,
              timeouts,
              bodyRetries + 1,
              what,
              dst)
          .run(a -> fetch(key, etag, offset, a));
    } catch (HedgedRead.DeadlineExceeded e) {
      recentTimeouts.failed(range);
      throw e;
    }
  }

  /** One ranged GET for {@code a}; a short, long, broken or silent body is a plain IOException. */
  private void fetch(String key, String etag, long offset, HedgedRead.Attempt a)
      throws IOException {
    int want = a.want();
    long t0 = System.nanoTime();
    Body body;
    try {
      // abortable while it waits for the answer: a hedge that wins ends it (see HedgedRead)
      body = get(key, etag, offset, want, a::onCancel);
    } catch (IOException | RuntimeException e) {
      a.onCancel(null);
      throw e;
    }
    a.alive();
    a.onCancel(body::abort);
    boolean clean = false;
    try {
      a.receive(body, key);
      expectEnd(key, body, want);
      clean = !a.cancelled();
      if (clean) streamRate.record(want, System.nanoTime() - t0);
    } finally {
      a.onCancel(null);
      body.close(clean);
    }
  }

  /**
   * One ranged GET for the whole run, each piece handed over as soon as it is in; no retries. Each
   * piece must arrive within the read deadline of the moment it was asked for, else the run fails.
   */
  @Override
  public void readRun(String key, String etag, long offset, int[] lengths, RunSink sink)
      throws IOException {
    if (offset < 0) throw new IllegalArgumentException("offset < 0");
    long total = 0;
    for (int n : lengths) {
      if (n <= 0) throw new IllegalArgumentException("piece length must be > 0, got " + n);
      total += n;
    }
    if (total == 0) return;
    if (parts(total) > 1) {
      readRunInParts(key, etag, offset, lengths, sink);
      return;
    }
    long t0 = System.nanoTime();
    long inSink = 0; // the stream's rate leaves out the time the sink held it up
    Body body = get(key, etag, offset, total);
    AtomicBoolean late = new AtomicBoolean();
    boolean clean = false;
    try {
      for (int i = 0; i < lengths.length; i++) {
        long s0 = System.nanoTime();
        ByteBuffer dst = sink.buffer(i, lengths[i]);
        inSink += System.nanoTime() - s0;
        ScheduledFuture<?> abort =
            deadlines.schedule(
                () -> {
                  late.set(true);
                  body.abort();
                },
                timeouts.deadline().toMillis(),
                TimeUnit.MILLISECONDS);
        try {
          readFully(key, body, dst, lengths[i]);
        } finally {
          abort.cancel(false);
        }
        if (late.get()) throw new IOException("aborted at the deadline");
        // The last piece only once the body has ended where it should: a longer one is wrong.
        if (i == lengths.length - 1) expectEnd(key, body, total);
        s0 = System.nanoTime();
        sink.filled(i, dst);
        inSink += System.nanoTime() - s0;
      }
      clean = true;
      streamRate.record(total, System.nanoTime() - t0 - inSink);
    } catch (IOException e) {
      if (late.get()) throw pieceTooLate(key, e);
      throw e;
    } finally {
      body.close(clean);
    }
  }

  private ObjectStoreException pieceTooLate(String key, IOException e) {
    return new ObjectStoreException(
        Kind.UNAVAILABLE,
        "read "
            + bucket
            + "/"
            + key
            + ": a piece of a run"
            + " did not arrive within "
            + timeouts.deadline().toMillis()
            + " ms",
        e);
  }

  /**
   * How many parallel GETs for a body of {@code length} bytes: 1 unless one stream has proved slow.
   */
  private int parts(long length) {
    return maxParts > 1 && streamRate.slow() ? ParallelParts.count(length, MIN_PART, maxParts) : 1;
  }

  /**
   * For tests: one connection delivers {@code bytesPerSecond}, whatever GETs measure from now on.
   */
  void pinStreamRate(double bytesPerSecond) {
    streamRate.pin(bytesPerSecond);
  }

  /**
   * A run on parallel connections: every piece (or, when the run has fewer pieces than {@link
   * #maxParts}, every part of a piece) is its own ranged GET, all in flight at once and each
   * written straight into its piece's buffer, so that a slow stream per connection is multiplied
   * without a wait between pieces. Pieces are handed over in order, each as soon as it and those
   * before it are complete. No retries; the run must be complete within the read deadline.
   */
  private void readRunInParts(String key, String etag, long offset, int[] lengths, RunSink sink)
      throws IOException {
    int n = lengths.length;
    int split = Math.max(1, (maxParts + n - 1) / n);
    ParallelParts parts = new ParallelParts(partWorkers);
    AtomicBoolean late = new AtomicBoolean();
    ScheduledFuture<?> abort =
        deadlines.schedule(
            () -> {
              late.set(true);
              parts.abortAll();
            },
            timeouts.deadline().toMillis(),
            TimeUnit.MILLISECONDS);
    ByteBuffer[] dsts = new ByteBuffer[n];
    CountDownLatch[] ended = new CountDownLatch[n];
    AtomicInteger[] complete = new AtomicInteger[n];
    int[] counts = new int[n];
    boolean done = false;
    try {
      long pos = offset;
      launch:
      for (int i = 0; i < n; i++) {
        int len = lengths[i];
        ByteBuffer dst = sink.buffer(i, len);
        dsts[i] = dst;
        int count = ParallelParts.count(len, MIN_PART, split);
        int each = Math.max(1, (len / count) & ~0xFFFF);
        counts[i] = count;
        ended[i] = new CountDownLatch(count);
        complete[i] = new AtomicInteger();
        AtomicInteger ok = complete[i];
        for (int k = 0; k < count; k++) {
          int from = k * each;
          int to = k == count - 1 ? len : from + each;
          int base = dst.position();
          ByteBuffer slice = dst.duplicate().limit(base + to).position(base + from).slice();
          CountDownLatch e = ended[i];
          boolean started =
              parts.start(
                  pos + from,
                  slice,
                  (off, sl, p) -> {
                    fetchPart(key, etag, off, sl, p);
                    ok.incrementAndGet();
                  },
                  e::countDown);
          if (!started) {
            // aborted: the piece's parts not started end here, and awaitAll below throws why
            for (int j = k + 1; j < count; j++) e.countDown();
            break launch;
          }
        }
        pos += len;
      }
      for (int i = 0; i < n && ended[i] != null; i++) {
        awaitPiece(ended[i], parts);
        if (complete[i].get() != counts[i]) break;
        dsts[i].position(dsts[i].position() + lengths[i]);
        sink.filled(i, dsts[i]);
      }
      parts.awaitAll();
      done = true;
    } catch (IOException e) {
      if (late.get()) throw pieceTooLate(key, e);
      throw e;
    } finally {
      abort.cancel(false);
      if (!done) {
        // a sink that threw, or a failure: nothing may write into the buffers once we return
        parts.abortAll();
        try {
          parts.awaitAll();
        } catch (IOException ignored) {
          // the failure that got us here is what the caller sees
        }
      }
    }
  }

  /** One part of a run: a ranged GET read straight into {@code slice}. */
  private void fetchPart(String key, String etag, long off, ByteBuffer slice, ParallelParts p)
      throws IOException {
    int want = slice.remaining();
    long t0 = System.nanoTime();
    Body body = get(key, etag, off, want);
    p.register(body);
    boolean clean = false;
    try {
      readFully(key, body, slice, want);
      expectEnd(key, body, want);
      clean = true;
      streamRate.record(want, System.nanoTime() - t0);
    } finally {
      p.unregister(body);
      body.close(clean);
    }
  }

  /** Waits for a piece's parts to end; an interrupt aborts them all and ends the run. */
  private static void awaitPiece(CountDownLatch ended, ParallelParts parts) throws IOException {
    try {
      ended.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      parts.abortAll();
      throw new InterruptedIOException("interrupted");
    }
  }

  /**
   * Sends a ranged GET pinned to {@code etag} and checks that the answer is exactly that range: by
   * Content-Length, or for a body ended by closing the connection (no Content-Length), by
   * Content-Range.
   */
  private Body get(String key, String etag, long offset, long length) throws IOException {
    return get(key, etag, offset, length, null);
  }

  private Body get(String key, String etag, long offset, long length, Consumer<Runnable> abort)
      throws IOException {
    Bodies b = bodies;
    try {
      return abort == null
          ? b.get(key, etag, offset, length)
          : b.get(key, etag, offset, length, abort);
    } catch (HttpBodies.Unsupported e) {
      if (bodies == b) {
        bodies = sdkBodies;
        LOG.warn("{}; object bodies of {} go through the SDK from now on", e.getMessage(), bucket);
      }
      return sdkBodies.get(key, etag, offset, length);
    }
  }

  /**
   * Null when the headers say the body is bytes [offset, offset+length) of the object, else why
   * not.
   */
  static String rangeProblem(String contentLength, String contentRange, long offset, long length) {
    if (contentLength != null) {
      long len = Long.parseLong(contentLength.strip());
      if (len != length)
        return "server sent Content-Length "
            + len
            + " (range ignored or object shorter than expected)";
    }
    if (contentRange != null) {
      // "bytes FIRST-LAST/TOTAL" (TOTAL may be "*")
      String cr = contentRange.strip();
      int sp = cr.indexOf(' '), dash = cr.indexOf('-'), slash = cr.indexOf('/');
      if (!cr.regionMatches(true, 0, "bytes", 0, 5) || sp < 0 || dash < sp || slash < dash) {
        return "unreadable Content-Range '" + cr + "'";
      }
      long first = Long.parseLong(cr.substring(sp + 1, dash).strip());
      long last = Long.parseLong(cr.substring(dash + 1, slash).strip());
      if (first != offset || last != offset + length - 1) {
        return "server sent Content-Range "
            + cr
            + " for bytes "
            + offset
            + "-"
            + (offset + length - 1);
      }
    } else if (contentLength == null) {
      return "the answer has neither Content-Length nor Content-Range";
    }
    return null;
  }

  /** The body must end where the range does: one byte more is a wrong answer, never served. */
  static void expectEnd(String key, Body body, long want) throws IOException {
    if (body.read(ByteBuffer.allocate(1)) > 0) {
      throw new IOException("body of " + key + " is longer than the " + want + " bytes asked for");
    }
  }

  private static void readFully(String key, Body body, ByteBuffer dst, int want)
      throws IOException {
    int got = 0;
    while (got < want) {
      int n = body.read(dst);
      if (n < 0)
        throw new EOFException("body of " + key + " ended after " + got + " of " + want + " bytes");
      got += n;
    }
  }

  /** The one place SDK exceptions become {@link ObjectStoreException}s. */
  static ObjectStoreException translate(RuntimeException e, String what) {
    if (e instanceof OSSException oe) {
      String code = oe.getErrorCode() == null ? "" : oe.getErrorCode();
      String msg =
          what
              + ": "
              + code
              + (oe.getErrorMessage() == null ? "" : " (" + oe.getErrorMessage() + ")");
      return new ObjectStoreException(kind(code), msg, e);
    }
    if (e instanceof ClientException ce) {
      return new ObjectStoreException(
          Kind.UNAVAILABLE,
          what
              + ": cannot reach the endpoint ("
              + firstLine(ce.getErrorMessage() != null ? ce.getErrorMessage() : ce.getMessage())
              + ")",
          e);
    }
    return new ObjectStoreException(Kind.OTHER, what + ": " + e, e);
  }

  /** What an OSS error code means for us (the SDK's and the lean path's answers alike). */
  static Kind kind(String code) {
    return switch (code) {
      case "NoSuchBucket" -> Kind.NO_SUCH_BUCKET;
      case "NoSuchKey" -> Kind.NOT_FOUND;
      case "AccessDenied",
          "AccessForbidden",
          "InvalidAccessKeyId",
          "SignatureDoesNotMatch",
          "SecurityTokenExpired",
          "InvalidSecurityToken" ->
          Kind.ACCESS_DENIED;
      case "InternalError", "ServiceUnavailable", "RequestTimeout", "Throttling" ->
          Kind.UNAVAILABLE;
      default -> Kind.OTHER;
    };
  }

  private static String firstLine(String s) {
    if (s == null) return "unknown error";
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).strip();
  }

  static String decode(String s, boolean encoded) {
    // '+' is ' ', as the SDK decodes its other listings; bytes that are not UTF-8 are escaped
    // (UrlKeys).
    return encoded && s != null ? UrlKeys.decode(s) : s;
  }

  static String unquote(String etag) {
    if (etag == null) return "";
    String e = etag.strip();
    if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\""))
      e = e.substring(1, e.length() - 1);
    return e;
  }

  @Override
  public void close() {
    bodies.close();
    partWorkers.shutdownNow();
    attempts.shutdownNow();
    deadlines.shutdownNow();
    client.shutdown();
    bodyClient.shutdown();
  }

  @Override
  public String toString() {
    return "OssObjectStore[" + bucket + "]";
  }
}
