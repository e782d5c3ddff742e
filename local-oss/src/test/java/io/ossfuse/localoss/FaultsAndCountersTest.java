package io.ossfuse.localoss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aliyun.oss.ClientBuilderConfiguration;
import com.aliyun.oss.OSS;
import com.aliyun.oss.OSSClientBuilder;
import com.aliyun.oss.common.auth.DefaultCredentialProvider;
import com.aliyun.oss.model.OSSObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each fault kind as a byte-exact client sees it, plus the counters. Anonymous reads keep requests
 * raw.
 */
class FaultsAndCountersTest {
  static final int SIZE = 1 << 20;
  static final String KEY = "obj.bin";

  @TempDir static Path root;
  static LocalOssServer server;
  static byte[] content;

  @BeforeAll
  static void start() throws IOException {
    content = new byte[SIZE];
    for (int i = 0; i < SIZE; i++) {
      content[i] = (byte) (i * 31 + (i >>> 9));
    }
    Files.createDirectories(root.resolve("bkt"));
    Files.write(root.resolve("bkt/" + KEY), content);
    Files.writeString(root.resolve("bkt/other.txt"), "other");
    server =
        LocalOssServer.builder()
            .root(root)
            .credentials("ak", "sk")
            .allowAnonymousRead(true)
            .build()
            .start();
  }

  @AfterEach
  void clear() {
    server.faults().clear();
    server.counters().reset();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static RawHttp.Response get(String path) throws IOException {
    return RawHttp.get(server.port(), path);
  }

  @Test
  void statusFaultsHitTheNextNMatchingRequestsOnly() throws IOException {
    server.faults().next(2).op(OssOperation.GET).key(KEY).status(503);
    assertEquals(200, get("/bkt/other.txt").status(), "other keys are not matched");
    RawHttp.Response r = get("/bkt/" + KEY);
    assertEquals(503, r.status());
    assertTrue(r.text().contains("<Code>ServiceUnavailable</Code>"), r.text());
    assertTrue(r.text().contains("<RequestId>" + r.header("x-oss-request-id") + "</RequestId>"));
    assertEquals(503, get("/bkt/" + KEY).status());
    RawHttp.Response ok = get("/bkt/" + KEY);
    assertEquals(200, ok.status());
    assertArrayEquals(content, ok.body());
    assertEquals(2, server.faults().injected());
    assertEquals(3, server.counters().gets(KEY));
    assertEquals(SIZE, server.counters().bytesSent(KEY));

    server.faults().next(1).op(OssOperation.HEAD).status(500);
    assertEquals(200, get("/bkt/" + KEY).status(), "a HEAD rule does not match GET");
    RawHttp.Response head = RawHttp.send(server.port(), "HEAD", "/bkt/" + KEY, Map.of());
    assertEquals(500, head.status());
    assertTrue(head.header("x-oss-err") != null, "HEAD errors carry the XML in x-oss-err");
  }

  @Test
  void dropConnectionSendsNothing() throws IOException {
    server.faults().next(1).dropConnection();
    RawHttp.Response r = get("/bkt/" + KEY);
    assertEquals(-1, r.status());
    assertEquals(0, r.body().length);
    assertEquals(200, get("/bkt/" + KEY).status());
    assertEquals(0, server.counters().bytesSent() - SIZE);
  }

  @Test
  void resetMidBodyClosesAfterHalf() throws IOException {
    server.faults().next(1).op(OssOperation.GET).resetMidBody();
    RawHttp.Response r = get("/bkt/" + KEY);
    assertEquals(200, r.status());
    assertEquals(SIZE, r.contentLength());
    assertTrue(r.closedEarly());
    assertEquals(SIZE / 2, r.body().length);
    assertArrayEquals(Arrays.copyOf(content, SIZE / 2), r.body());
    assertEquals(SIZE / 2, server.counters().bytesSent(KEY));
  }

  @Test
  void truncatedBodyPromisesMoreThanItSends() throws IOException {
    server.faults().next(1).key(KEY).truncateBody(1000);
    RawHttp.Response r =
        send("GET", "/bkt/" + KEY, Map.of("Range", "bytes=100-")); // also on ranged answers
    assertEquals(206, r.status());
    assertEquals(SIZE - 100, r.contentLength());
    assertEquals(1000, r.body().length);
    assertArrayEquals(Arrays.copyOfRange(content, 100, 1100), r.body());
    assertTrue(r.closedEarly());
  }

  @Test
  void truncatedListingIsCutToo() throws IOException {
    server.faults().next(1).op(OssOperation.LIST).truncateBody(10);
    RawHttp.Response r = get("/bkt/?list-type=2");
    assertEquals(200, r.status());
    assertEquals(10, r.body().length);
    assertTrue(r.contentLength() > 10);
    assertEquals(1, server.counters().lists());
  }

  @Test
  void closeDelimitedBodyHasNoContentLengthAndEndsWithTheConnection() throws IOException {
    server.faults().next(1).op(OssOperation.GET).closeDelimitedBody();
    RawHttp.Response r =
        RawHttp.send(server.port(), "GET", "/bkt/" + KEY, Map.of("Range", "bytes=100-1099"));
    assertEquals(206, r.status());
    assertEquals(null, r.header("content-length"));
    assertEquals(null, r.header("transfer-encoding"));
    assertEquals("bytes 100-1099/" + SIZE, r.header("content-range"));
    assertArrayEquals(Arrays.copyOfRange(content, 100, 1100), r.body());

    server.faults().next(1).op(OssOperation.GET).closeDelimitedBody(10);
    r = RawHttp.send(server.port(), "GET", "/bkt/" + KEY, Map.of("Range", "bytes=100-1099"));
    assertArrayEquals(
        Arrays.copyOfRange(content, 100, 110), r.body(), "short: 10 bytes, then close");

    server.faults().next(1).op(OssOperation.GET).closeDelimitedBody(1010);
    r = RawHttp.send(server.port(), "GET", "/bkt/" + KEY, Map.of("Range", "bytes=100-1099"));
    assertEquals(1010, r.body().length, "long: 10 extra bytes");
    assertArrayEquals(Arrays.copyOfRange(content, 100, 1100), Arrays.copyOf(r.body(), 1000));
    assertEquals(200, get("/bkt/" + KEY).status(), "rules used up");
  }

  @Test
  void faultSpecsFromTheCommandLine() throws IOException {
    FaultSpec.apply(server.faults(), "close-delimited@" + KEY);
    RawHttp.Response r = get("/bkt/" + KEY);
    assertEquals(null, r.header("content-length"));
    assertArrayEquals(content, r.body());
    assertEquals("other", get("/bkt/other.txt").text(), "only that key");
    server.faults().clear();
    FaultSpec.apply(server.faults(), "stall:10:200ms");
    r = get("/bkt/other.txt");
    assertEquals("other", r.text());
    assertTrue(r.millis() >= 200, "stalled " + r.millis());
    server.faults().clear();
    FaultSpec.apply(server.faults(), "status:503");
    assertEquals(503, get("/bkt/other.txt").status());
    for (String bad :
        new String[] {
          "stall", "stall:x", "delay:5", "close-delimited:1:2", "status:200", "nap:1s", "stall:1@"
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> FaultSpec.apply(server.faults(), bad));
      assertTrue(e.getMessage().startsWith("fault '" + bad + "'"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"));
    }
  }

  @Test
  void stallAfterBytesSendsThemThenPauses() throws IOException {
    server.faults().next(1).op(OssOperation.GET).stallBodyAfter(1000, Duration.ofMillis(300));
    RawHttp.Response r = get("/bkt/" + KEY);
    assertArrayEquals(content, r.body());
    assertTrue(r.millis() >= 300, "stalled " + r.millis());
  }

  @Test
  void stallForeverSendsTheFirstBytesThenNothing() throws IOException {
    server.faults().next(1).op(OssOperation.GET).stallBodyForever(1000);
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
      s.getOutputStream()
          .write(
              ("GET /bkt/" + KEY + " HTTP/1.1\r\nHost: x\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      java.io.InputStream in = s.getInputStream();
      java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
      s.setSoTimeout(10_000);
      // Headers and 1000 body bytes arrive; then silence (polled with a short timeout).
      byte[] buf = new byte[8192];
      int bodyStart = -1;
      while (bodyStart < 0 || got.size() - bodyStart < 1000) {
        int n = in.read(buf);
        assertTrue(n > 0, "the first bytes come");
        got.write(buf, 0, n);
        if (bodyStart < 0) {
          String text = got.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
          int e = text.indexOf("\r\n\r\n");
          bodyStart = e < 0 ? -1 : e + 4;
        }
      }
      assertEquals(1000, got.size() - bodyStart);
      s.setSoTimeout(300);
      assertThrows(java.net.SocketTimeoutException.class, () -> in.read(buf));
    }
  }

  @Test
  void stallAndDelayAndLatencySlowAnswersDown() throws IOException {
    server.faults().next(1).stallBody(Duration.ofMillis(300));
    RawHttp.Response r = get("/bkt/" + KEY);
    assertArrayEquals(content, r.body());
    assertTrue(r.millis() >= 300, "stalled " + r.millis());

    server.faults().next(1).delay(Duration.ofMillis(200));
    r = get("/bkt/other.txt");
    assertEquals("other", r.text());
    assertTrue(r.millis() >= 200, "delayed " + r.millis());

    server.faults().latency(Duration.ofMillis(150));
    r = get("/bkt/other.txt");
    assertTrue(r.millis() >= 150, "latency " + r.millis());
    server.faults().latency(Duration.ZERO);
    assertEquals(0, server.faults().pendingRules());
  }

  @Test
  void alwaysRuleLastsUntilClear() throws IOException {
    server.faults().always().op(OssOperation.GET).status(500);
    for (int i = 0; i < 3; i++) {
      assertEquals(500, get("/bkt/other.txt").status());
    }
    server.faults().clear();
    assertEquals(200, get("/bkt/other.txt").status());
  }

  @Test
  void sdkRetriesThroughInjected503s() throws IOException {
    ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
    conf.setMaxErrorRetry(3);
    conf.setRetryStrategy(
        new com.aliyun.oss.common.comm.RetryStrategy() {
          @Override
          public boolean shouldRetry(
              Exception ex,
              com.aliyun.oss.common.comm.RequestMessage request,
              com.aliyun.oss.common.comm.ResponseMessage response,
              int retries) {
            return response != null && response.getStatusCode() >= 500;
          }

          @Override
          public long getPauseDelay(int retries) {
            return 0; // keep the test fast; the SDK default backs off for seconds
          }
        });
    OSS c =
        OSSClientBuilder.create()
            .endpoint(server.endpoint())
            .credentialsProvider(new DefaultCredentialProvider("ak", "sk"))
            .clientConfiguration(conf)
            .build();
    try {
      server.faults().next(1).op(OssOperation.GET).key(KEY).status(503);
      try (OSSObject o = c.getObject("bkt", KEY)) {
        assertArrayEquals(content, o.getObjectContent().readAllBytes());
      }
      assertEquals(2, server.counters().gets(KEY));
    } finally {
      c.shutdown();
    }
  }

  @Test
  void countersCountOperationsAndBytes() throws IOException {
    get("/bkt/" + KEY);
    send("GET", "/bkt/" + KEY, Map.of("Range", "bytes=0-99"));
    RawHttp.send(server.port(), "HEAD", "/bkt/" + KEY, Map.of());
    get("/bkt/?list-type=2&prefix=o");
    get("/bkt/?prefix=o");
    assertEquals(2, server.counters().gets());
    assertEquals(2, server.counters().gets(KEY));
    assertEquals(1, server.counters().heads());
    assertEquals(2, server.counters().lists());
    assertEquals(SIZE + 100, server.counters().bytesSent());
    assertEquals(SIZE + 100, server.counters().bytesSent(KEY));
    assertEquals(5, server.counters().requests());
    server.counters().reset();
    assertEquals(0, server.counters().bytesSent());
  }

  @Test
  void rangeForms() throws IOException {
    RawHttp.Response r = send("GET", "/bkt/" + KEY, Map.of("Range", "bytes=-10"));
    assertEquals(206, r.status());
    assertEquals("bytes " + (SIZE - 10) + "-" + (SIZE - 1) + "/" + SIZE, r.header("content-range"));
    assertArrayEquals(Arrays.copyOfRange(content, SIZE - 10, SIZE), r.body());

    r = send("GET", "/bkt/" + KEY, Map.of("Range", "bytes=" + (SIZE - 5) + "-" + (SIZE + 100)));
    assertEquals(206, r.status());
    assertEquals(5, r.contentLength());

    r = send("GET", "/bkt/" + KEY, Map.of("Range", "bytes=" + SIZE + "-"));
    assertEquals(416, r.status());
    assertEquals("bytes */" + SIZE, r.header("content-range"));
    assertTrue(r.text().contains("<Code>InvalidRange</Code>"));

    r = send("GET", "/bkt/" + KEY, Map.of("Range", "bytes=9-2"));
    assertEquals(200, r.status(), "an invalid range is ignored, as OSS does");
    assertEquals(SIZE, r.body().length);
  }

  @Test
  void conditionalHeaders() throws IOException {
    String etag = RawHttp.send(server.port(), "HEAD", "/bkt/" + KEY, Map.of()).header("etag");
    assertTrue(etag.startsWith("\"") && etag.length() == 34, etag);
    assertEquals(412, send("GET", "/bkt/" + KEY, Map.of("If-Match", "\"0000\"")).status());
    assertEquals(200, send("GET", "/bkt/" + KEY, Map.of("If-Match", etag)).status());
    RawHttp.Response nm = send("GET", "/bkt/" + KEY, Map.of("If-None-Match", etag));
    assertEquals(304, nm.status());
    assertEquals(0, nm.body().length);
  }

  @Test
  void virtualHostStyleSelectsTheBucketFromHost() throws IOException {
    RawHttp.Response r =
        send("GET", "/other.txt", Map.of("Host", "bkt.127.0.0.1:" + server.port()));
    assertEquals("other", r.text());
  }

  @Test
  void closeStopsPromptlyEvenWithAStalledAnswer() throws Exception {
    Path dir = Files.createTempDirectory(root, "close");
    Files.createDirectories(dir.resolve("x"));
    Files.write(dir.resolve("x/f"), content);
    LocalOssServer s = LocalOssServer.builder().root(dir).allowAnonymousRead(true).build().start();
    s.faults().always().stallBody(Duration.ofSeconds(30));
    // The client signals once the headers and the first part of the body are in: the server flushed
    // them and stalls now (a fixed pause before close() may end before the answer even started).
    java.util.concurrent.CountDownLatch stalling = new java.util.concurrent.CountDownLatch(1);
    Thread t =
        new Thread(
            () -> {
              try (java.net.Socket c = new java.net.Socket("127.0.0.1", s.port())) {
                c.getOutputStream()
                    .write(
                        "GET /x/f HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                java.io.InputStream in = c.getInputStream();
                int matched = 0;
                for (int b = in.read(); b >= 0; b = in.read()) {
                  if (matched == 4) {
                    stalling.countDown();
                    break;
                  }
                  matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
                }
                in.transferTo(java.io.OutputStream.nullOutputStream());
              } catch (IOException ignored) {
                // expected: the server goes away
              }
            });
    t.start();
    assertTrue(stalling.await(30, java.util.concurrent.TimeUnit.SECONDS), "the answer started");
    long t0 = System.nanoTime();
    s.close();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    t.join(5000);
    assertFalse(t.isAlive(), "the client saw the connection end");
    assertTrue(ms < 3000, "close took " + ms + " ms");
    assertThrows(IOException.class, () -> RawHttp.get(s.port(), "/x/f"));
  }

  static RawHttp.Response send(String method, String path, Map<String, String> headers)
      throws IOException {
    return RawHttp.send(server.port(), method, path, headers);
  }

  /**
   * Auth runs before counting and fault injection: a refused request draws no fault and is no
   * operation.
   */
  @Test
  void refusedRequestsDrawNoFaultAndCountNoOperation() throws IOException {
    server.faults().next(1).status(503);
    RawHttp.Response refused = RawHttp.send(server.port(), "DELETE", "/bkt/no-such-key", Map.of());
    assertEquals(403, refused.status(), refused.text());
    assertTrue(refused.text().contains("<HostId>bkt.127.0.0.1</HostId>"), refused.text());
    assertEquals(1, server.counters().authFailures());
    assertEquals(0, server.counters().count(OssOperation.DELETE));
    assertEquals(0, server.faults().injected());
    assertEquals(
        503, get("/bkt/other.txt").status(), "the fault is left for the next authorised request");
    assertEquals(2, server.counters().requests());
  }
}
