package io.ossfuse.oss;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.OssOperation;
import io.ossfuse.store.ObjectChangedException;
import io.ossfuse.store.ObjectStore;
import io.ossfuse.store.ObjectStoreException;
import io.ossfuse.store.ObjectStoreException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lean body path ({@link HttpBodies}) against local-oss over real HTTP: its Authenticator
 * checks the SDK-presigned URLs (V1, V4, STS token), its faults stall and frame bodies oddly. Every
 * test first makes sure the lean path is the one in use.
 */
class HttpBodiesTest {
  static final int MIB = 1 << 20;
  static final String KEY = "dir/blob.bin";
  static final BodyTimeouts FAST =
      new BodyTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofSeconds(6));

  /**
   * Never hedges or cuts a body on a loaded machine: for tests that count GETs (a hedge after
   * FAST's 300 ms is one more).
   */
  static final BodyTimeouts PATIENT =
      new BodyTimeouts(Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(120));

  @TempDir static Path root;
  static LocalOssServer server;
  static byte[] blob = new byte[6 * MIB];

  @BeforeAll
  static void start() throws IOException {
    server =
        LocalOssServer.builder()
            .root(root)
            .bucket("bkt")
            .credentials("ak-lean", "sk-lean")
            .build()
            .start();
    new Random(11).nextBytes(blob);
    Files.createDirectories(server.bucketDir("bkt").resolve("dir"));
    Files.write(server.bucketDir("bkt").resolve(KEY), blob);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  /**
   * Counts and faults are of {@link #KEY} only: a run in parts that fails leaves GETs of its own
   * object on the wire, which the server may count after this reset, in the next test.
   */
  @AfterEach
  void clear() {
    server.faults().clear();
    server.counters().reset();
  }

  /** The lean path, one GET per read or run (the tests count requests) unless {@code parts} > 1. */
  static OssObjectStore lean(
      LocalOssServer srv,
      String ak,
      String sk,
      String token,
      SignatureVersion v,
      BodyTimeouts t,
      int parts) {
    OssConfig c =
        OssConfig.of(
                srv.endpoint(),
                new OssUri("bkt", ""),
                OssCredentials.fixed(ak, sk, token),
                v,
                v == SignatureVersion.V4 ? srv.region() : null)
            .withBodies(t);
    try (OssObjectStore byDefault = OssObjectStore.open(c)) {
      assertTrue(byDefault.leanBodies(), "an http endpoint takes the lean path by default");
    }
    return OssObjectStore.open(c, true, parts);
  }

  static OssObjectStore lean(
      LocalOssServer srv, String ak, String sk, String token, SignatureVersion v, BodyTimeouts t) {
    return lean(srv, ak, sk, token, v, t, 1);
  }

  static OssObjectStore lean(BodyTimeouts t) {
    return lean(server, "ak-lean", "sk-lean", null, SignatureVersion.V1, t);
  }

  /** Bodies in parts, as on an endpoint whose connections are slow (loopback's are not). */
  static OssObjectStore inParts(BodyTimeouts t) {
    OssObjectStore s =
        lean(
            server,
            "ak-lean",
            "sk-lean",
            null,
            SignatureVersion.V1,
            t,
            OssObjectStore.DEFAULT_BODY_CONNECTIONS);
    s.pinStreamRate(150e6);
    return s;
  }

  static void assertBytes(byte[] want, long off, ByteBuffer got) {
    assertFalse(got.hasRemaining(), "dst filled");
    ByteBuffer b = got.duplicate().flip();
    byte[] a = new byte[b.remaining()];
    b.get(a);
    assertArrayEquals(Arrays.copyOfRange(want, (int) off, (int) off + a.length), a);
  }

  @Test
  void rangedReadsAndRunsReuseOneKeepAliveConnection() throws IOException {
    try (OssObjectStore s = lean(BodyTimeouts.DEFAULTS)) {
      String etag = s.head(KEY).orElseThrow().etag();
      Random r = new Random(5);
      for (int i = 0; i < 12; i++) {
        int off = r.nextInt(blob.length - 1);
        int len = 1 + r.nextInt(Math.min(blob.length - off, 700_000));
        ByteBuffer dst = i % 2 == 0 ? ByteBuffer.allocate(len) : ByteBuffer.allocateDirect(len);
        s.read(KEY, etag, off, dst);
        assertBytes(blob, off, dst);
      }
      OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
      s.readRun(KEY, etag, 5, new int[] {MIB, 2 * MIB, 3}, p);
      assertEquals(ByteBuffer.wrap(blob, 5, MIB), p.filled.get(0));
      assertEquals(ByteBuffer.wrap(blob, 5 + MIB, 2 * MIB), p.filled.get(1));
      assertEquals(ByteBuffer.wrap(blob, 5 + 3 * MIB, 3), p.filled.get(2));
      assertEquals(13, server.counters().gets(KEY));
      assertEquals(
          1, s.leanConnectionsOpened(), "one keep-alive connection served every GET in turn");
      assertEquals(0, server.counters().authFailures());
    }
  }

  @Test
  void signatureV4AndV1WithAnStsTokenAreAccepted(@TempDir Path dir) throws IOException {
    try (LocalOssServer sts =
        LocalOssServer.builder()
            .root(dir)
            .bucket("bkt")
            .credentials("ak-sts", "sk-sts")
            .securityToken("tok-456")
            .build()
            .start()) {
      Files.write(sts.bucketDir("bkt").resolve("b"), blob);
      for (SignatureVersion v : SignatureVersion.values()) {
        try (OssObjectStore s = lean(sts, "ak-sts", "sk-sts", "tok-456", v, FAST)) {
          String tag = s.head("b").orElseThrow().etag();
          ByteBuffer dst = ByteBuffer.allocateDirect(MIB);
          s.read("b", tag, 17, dst);
          assertBytes(blob, 17, dst);
          OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
          s.readRun("b", tag, MIB, new int[] {MIB, MIB}, p);
          assertEquals(ByteBuffer.wrap(blob, 2 * MIB, MIB), p.filled.get(1));
        }
      }
      assertEquals(0, sts.counters().authFailures());
      // without the token the endpoint refuses: the lean path reports it as the SDK would
      try (OssObjectStore s = lean(sts, "ak-sts", "sk-sts", null, SignatureVersion.V4, FAST)) {
        ObjectStoreException e =
            assertThrows(
                ObjectStoreException.class, () -> s.read("b", null, 0, ByteBuffer.allocate(10)));
        assertEquals(Kind.ACCESS_DENIED, e.kind(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
      }
    }
  }

  @Test
  void errorAnswersKeepTheirKind() throws IOException {
    try (OssObjectStore s =
        lean(server, "ak-lean", "wrong-secret", null, SignatureVersion.V1, FAST)) {
      ObjectStoreException e =
          assertThrows(
              ObjectStoreException.class, () -> s.read(KEY, null, 0, ByteBuffer.allocate(10)));
      assertEquals(Kind.ACCESS_DENIED, e.kind());
      assertTrue(e.getMessage().contains("SignatureDoesNotMatch"), e.getMessage());
    }
    try (OssObjectStore s = lean(PATIENT)) {
      ObjectStoreException e =
          assertThrows(
              ObjectStoreException.class,
              () -> s.read("dir/nope", null, 0, ByteBuffer.allocate(10)));
      assertEquals(Kind.NOT_FOUND, e.kind());
      server.faults().next(2).op(OssOperation.GET).key(KEY).status(503);
      ByteBuffer dst = ByteBuffer.allocate(1000);
      s.read(KEY, null, 3, dst); // 503 is worth another GET, as through the SDK
      assertBytes(blob, 3, dst);
      assertEquals(1, server.counters().gets("dir/nope"));
      assertEquals(3, server.counters().gets(KEY));
    }
  }

  @Test
  void anObjectReplacedMidRunFinishesTheRunThenIsObjectChanged() throws IOException {
    Path file = server.bucketDir("bkt").resolve("dir/changing.bin");
    Files.write(file, blob);
    byte[] next = new byte[5 * MIB];
    new Random(12).nextBytes(next);
    try (OssObjectStore s = lean(FAST)) {
      String etag = s.head("dir/changing.bin").orElseThrow().etag();
      OssObjectStoreTest.Pieces p =
          new OssObjectStoreTest.Pieces() {
            @Override
            public void filled(int index, ByteBuffer dst) {
              super.filled(index, dst);
              if (index == 0) replace(file, next); // an overwrite while the GET is streaming
            }
          };
      s.readRun("dir/changing.bin", etag, 0, new int[] {MIB, MIB, MIB}, p);
      for (int i = 0; i < 3; i++)
        assertEquals(ByteBuffer.wrap(blob, i * MIB, MIB), p.filled.get(i), "piece " + i);
      assertThrows(
          ObjectChangedException.class,
          () -> s.read("dir/changing.bin", etag, 3 * MIB, ByteBuffer.allocate(MIB)));
      assertThrows(
          ObjectChangedException.class,
          () ->
              s.readRun(
                  "dir/changing.bin",
                  etag,
                  3 * MIB,
                  new int[] {MIB},
                  new OssObjectStoreTest.Pieces()));
      String now = s.head("dir/changing.bin").orElseThrow().etag();
      assertNotEquals(etag, now);
      ByteBuffer dst = ByteBuffer.allocateDirect(MIB);
      s.read("dir/changing.bin", now, 3 * MIB, dst);
      assertBytes(next, 3 * MIB, dst);
    }
  }

  @Test
  void aRunInPartsOfAReplacedObjectHandsOverOnlyPiecesOfThePinnedVersion() throws IOException {
    Path file = server.bucketDir("bkt").resolve("dir/changing2.bin");
    Files.write(file, blob);
    byte[] next = new byte[5 * MIB];
    new Random(13).nextBytes(next);
    try (OssObjectStore s = inParts(FAST)) {
      String etag = s.head("dir/changing2.bin").orElseThrow().etag();
      OssObjectStoreTest.Pieces p =
          new OssObjectStoreTest.Pieces() {
            @Override
            public ByteBuffer buffer(int index, int length) {
              // the pieces' GETs are all in flight at once: replaced between the first piece's
              // GETs and the second's
              if (index == 1) replace(file, next);
              return super.buffer(index, length);
            }
          };
      // every GET is pinned to the ETag: the second piece's see the change, the first's may
      assertThrows(
          ObjectChangedException.class,
          () -> s.readRun("dir/changing2.bin", etag, 0, new int[] {2 * MIB, 2 * MIB}, p));
      assertTrue(p.filled.size() <= 1, "pieces handed over: " + p.filled.size());
      if (p.filled.size() == 1) assertEquals(ByteBuffer.wrap(blob, 0, 2 * MIB), p.filled.get(0));
      ByteBuffer dst = ByteBuffer.allocateDirect(4 * MIB);
      assertThrows(ObjectChangedException.class, () -> s.read("dir/changing2.bin", etag, 0, dst));
      assertEquals(0, dst.position(), "nothing presented as read");
    }
  }

  @Test
  void bodiesInPartsComeFromParallelConnectionsStraightIntoTheirSlices() throws Exception {
    try (OssObjectStore s = inParts(BodyTimeouts.DEFAULTS)) {
      String etag = s.head(KEY).orElseThrow().etag();
      ByteBuffer dst = ByteBuffer.allocateDirect(4 * MIB + 77);
      s.read(KEY, etag, 123, dst);
      assertBytes(blob, 123, dst);
      assertEquals(4, server.counters().gets(KEY), "4 parts of one read");
      ByteBuffer heap = ByteBuffer.allocate(3 * MIB).position(100).limit(100 + 2 * MIB + 5);
      s.read(KEY, etag, 1, heap);
      assertEquals(100 + 2 * MIB + 5, heap.position());
      assertArrayEquals(
          Arrays.copyOfRange(blob, 1, 1 + 2 * MIB + 5),
          Arrays.copyOfRange(heap.array(), 100, 100 + 2 * MIB + 5));
      OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
      s.readRun(KEY, etag, 9, new int[] {4 * MIB, MIB + 3, 100}, p);
      assertEquals(ByteBuffer.wrap(blob, 9, 4 * MIB), p.filled.get(0));
      assertEquals(ByteBuffer.wrap(blob, 9 + 4 * MIB, MIB + 3), p.filled.get(1));
      assertEquals(ByteBuffer.wrap(blob, 9 + 5 * MIB + 3, 100), p.filled.get(2));
      assertTrue(
          s.leanConnectionsOpened() >= 2 && s.leanConnectionsOpened() <= 4,
          "parallel connections, kept alive: " + s.leanConnectionsOpened());
    }
  }

  @Test
  void aStalledPartIsHedgedAndAStalledRunPartFailsTheRunAtTheIdleTimeout() throws IOException {
    try (OssObjectStore s = inParts(FAST)) {
      String etag = s.head(KEY).orElseThrow().etag();
      server.faults().next(1).op(OssOperation.GET).key(KEY).stallBodyForever(64 * 1024);
      ByteBuffer dst = ByteBuffer.allocateDirect(4 * MIB);
      long t0 = System.nanoTime();
      s.read(KEY, etag, 0, dst);
      assertBytes(blob, 0, dst);
      assertTrue((System.nanoTime() - t0) / 1_000_000 < FAST.idle().toMillis(), "the hedge won");
      assertEquals(5, server.counters().gets(KEY), "4 parts and one hedge");
      server.faults().next(1).op(OssOperation.GET).key(KEY).stallBodyForever(1000);
      OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
      t0 = System.nanoTime();
      IOException e =
          assertThrows(
              IOException.class, () -> s.readRun(KEY, etag, 0, new int[] {2 * MIB, 2 * MIB}, p));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(e.getMessage().contains("no byte from the endpoint for 2000 ms"), e.getMessage());
      assertTrue(
          ms >= 1900 && ms < FAST.deadline().toMillis(),
          "the idle timeout ended it: " + ms + " ms");
      // the stalled GET is whichever part reached the endpoint first: a piece before it may be
      // complete and handed over, the piece with the stalled part never
      assertTrue(p.filled.size() <= 1, "the piece with a stalled part is not handed over");
      if (p.filled.size() == 1) assertEquals(ByteBuffer.wrap(blob, 0, 2 * MIB), p.filled.get(0));
    }
  }

  private static void replace(Path file, byte[] content) {
    try {
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.write(tmp, content);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aStalledBodyIsCutByTheIdleWatchdogAndHedged() throws IOException {
    try (OssObjectStore s = lean(FAST)) {
      String etag = s.head(KEY).orElseThrow().etag();
      server.faults().next(1).op(OssOperation.GET).key(KEY).stallBodyForever(MIB + 100);
      OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
      long t0 = System.nanoTime();
      IOException e =
          assertThrows(IOException.class, () -> s.readRun(KEY, etag, 0, new int[] {MIB, MIB}, p));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(e.getMessage().contains("no byte from the endpoint for 2000 ms"), e.getMessage());
      assertTrue(
          ms >= 1900 && ms < FAST.deadline().toMillis(),
          "the idle timeout ended it: " + ms + " ms");
      assertEquals(1, p.filled.size(), "only the whole piece was handed over");
      // a plain read of a stalling body: the hedge wins, into the caller's direct buffer
      server.faults().next(1).op(OssOperation.GET).key(KEY).stallBodyForever(64 * 1024);
      ByteBuffer dst = ByteBuffer.allocateDirect(2 * MIB);
      s.read(KEY, etag, MIB, dst);
      assertBytes(blob, MIB, dst);
    }
  }

  @Test
  void aCloseDelimited206IsReadToTheConnectionsEnd() throws IOException {
    try (OssObjectStore s = lean(PATIENT)) {
      String etag = s.head(KEY).orElseThrow().etag();
      server.faults().next(2).op(OssOperation.GET).key(KEY).closeDelimitedBody();
      ByteBuffer dst = ByteBuffer.allocateDirect(MIB);
      s.read(KEY, etag, 999, dst);
      assertBytes(blob, 999, dst);
      OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
      s.readRun(KEY, etag, 7, new int[] {MIB, MIB}, p);
      assertEquals(ByteBuffer.wrap(blob, 7 + MIB, MIB), p.filled.get(1));
      assertEquals(
          2, server.counters().gets(KEY), "each close-delimited answer was taken, not retried");
      // one byte too many is never served: the read retries and gets the right answer
      server.faults().next(1).op(OssOperation.GET).key(KEY).closeDelimitedBody(MIB + 1);
      ByteBuffer again = ByteBuffer.allocate(MIB);
      s.read(KEY, etag, 0, again);
      assertBytes(blob, 0, again);
    }
  }

  @Test
  void bodiesGoWholeWhileOneConnectionIsFastAndInPartsOnceItIsSlow() throws IOException {
    try (OssObjectStore s =
        lean(
            server,
            "ak-lean",
            "sk-lean",
            null,
            SignatureVersion.V1,
            FAST,
            OssObjectStore.DEFAULT_BODY_CONNECTIONS)) {
      String etag = s.head(KEY).orElseThrow().etag();
      s.pinStreamRate(2e9);
      s.read(KEY, etag, 0, ByteBuffer.allocateDirect(4 * MIB));
      assertEquals(1, server.counters().gets(KEY), "a fast stream: one GET");
      s.pinStreamRate(100e6);
      ByteBuffer dst = ByteBuffer.allocateDirect(4 * MIB);
      s.read(KEY, etag, 0, dst);
      assertBytes(blob, 0, dst);
      assertEquals(1 + 4, server.counters().gets(KEY), "a slow stream: four parts");
    }
  }

  /**
   * An endpoint that frames every body with chunked transfer coding (OSS never does; a proxy
   * might): the lean path cannot read it, says so once and leaves bodies to the SDK, which can.
   */
  @Test
  void aChunkedAnswerSendsBodiesThroughTheSdkFromThenOn() throws Exception {
    try (java.net.ServerSocket ss =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                while (!ss.isClosed()) {
                  try (java.net.Socket c = ss.accept()) {
                    answerChunked(c);
                  } catch (IOException | RuntimeException e) {
                    // next connection (or the socket was closed: the test is over)
                  }
                }
              });
      t.setDaemon(true);
      t.start();
      OssConfig c =
          OssConfig.of(
                  "http://127.0.0.1:" + ss.getLocalPort(),
                  new OssUri("bkt", ""),
                  OssCredentials.fixed("a", "b", null),
                  SignatureVersion.V1,
                  null)
              .withBodies(FAST);
      try (OssObjectStore s = OssObjectStore.open(c, true, 1)) {
        assertTrue(s.leanBodies());
        ByteBuffer dst = ByteBuffer.allocateDirect(100_000);
        s.read(KEY, null, 5, dst);
        assertBytes(blob, 5, dst);
        assertFalse(s.leanBodies(), "bodies go through the SDK now");
        OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
        s.readRun(KEY, null, 10, new int[] {1000, 2000}, p);
        assertEquals(ByteBuffer.wrap(blob, 1010, 2000), p.filled.get(1));
      }
    }
  }

  /** One request per connection: 206 of the asked range of {@link #blob}, chunked, then close. */
  private static void answerChunked(java.net.Socket c) throws IOException {
    var in =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(
                c.getInputStream(), java.nio.charset.StandardCharsets.ISO_8859_1));
    long first = 0, last = 0;
    for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
      if (line.toLowerCase(java.util.Locale.ROOT).startsWith("range: bytes=")) {
        String[] r = line.substring("range: bytes=".length()).strip().split("-");
        first = Long.parseLong(r[0]);
        last = Long.parseLong(r[1]);
      }
    }
    int len = (int) (last - first + 1);
    var out = c.getOutputStream();
    out.write(
        ("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes "
                + first
                + "-"
                + last
                + "/"
                + blob.length
                + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + Integer.toHexString(len)
                + "\r\n")
            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    out.write(blob, (int) first, len);
    out.write("\r\n0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    out.flush();
  }

  @Test
  void httpsEndpointsKeepTheSdkPath() {
    OssConfig c =
        OssConfig.of(
            "https://oss-cn-hangzhou.aliyuncs.com",
            new OssUri("bkt", ""),
            OssCredentials.fixed("a", "b", null),
            SignatureVersion.V1,
            null);
    try (OssObjectStore s = OssObjectStore.open(c)) {
      assertFalse(s.leanBodies());
    }
  }

  @SuppressWarnings("unused")
  private static ObjectStore asStore(OssObjectStore s) {
    return s;
  }
}
