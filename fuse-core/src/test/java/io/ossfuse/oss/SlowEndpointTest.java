package io.ossfuse.oss;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.OssOperation;
import io.ossfuse.store.ObjectStore;
import io.ossfuse.store.ObjectStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads from an endpoint that stalls, answers late or frames bodies oddly: through the real SDK
 * over real HTTP against local-oss. Every read either returns exactly the bytes asked for or fails,
 * within its deadline.
 */
class SlowEndpointTest {
  static final String KEY = "blob.bin";
  static final int MIB = 1 << 20;

  /**
   * Short timeouts so that the failing cases end quickly; the margins allow for a loaded machine.
   */
  static final BodyTimeouts FAST =
      new BodyTimeouts(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofSeconds(6));

  @TempDir static Path root;
  static LocalOssServer server;
  static byte[] blob = new byte[4 * MIB];
  static String etag;

  @BeforeAll
  static void start() throws IOException {
    server =
        LocalOssServer.builder()
            .root(root)
            .bucket("bkt")
            .credentials("test-ak-0001", "test-sk-0001")
            .build()
            .start();
    new Random(7).nextBytes(blob);
    Files.write(server.bucketDir("bkt").resolve(KEY), blob);
    try (OssObjectStore s = store(BodyTimeouts.DEFAULTS)) {
      etag = s.head(KEY).orElseThrow().etag();
    }
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  @AfterEach
  void clear() {
    server.faults().clear();
    server.counters().reset();
  }

  /**
   * Object bodies over the lean path (the default for http), or through the SDK ({@link
   * SlowEndpointSdkBodiesTest}).
   */
  static boolean leanBodies = true;

  // One GET per read or run here: the tests count requests. HttpBodiesTest covers reads in parts.

  static OssObjectStore store(BodyTimeouts t) {
    return OssObjectStore.open(
        OssConfig.of(
                server.endpoint(),
                new OssUri("bkt", ""),
                OssCredentials.fixed("test-ak-0001", "test-sk-0001", null),
                SignatureVersion.V1,
                null)
            .withBodies(t),
        leanBodies,
        1);
  }

  static void assertRange(long off, ByteBuffer got) {
    assertFalse(got.hasRemaining(), "dst filled");
    ByteBuffer b = got.duplicate().flip();
    byte[] a = new byte[b.remaining()];
    b.get(a);
    assertArrayEquals(Arrays.copyOfRange(blob, (int) off, (int) off + a.length), a);
  }

  static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void aCloseDelimited206IsReadCorrectly() throws IOException {
    try (OssObjectStore s = store(BodyTimeouts.DEFAULTS)) {
      server.faults().next(1).op(OssOperation.GET).closeDelimitedBody();
      ByteBuffer dst = ByteBuffer.allocateDirect(MIB);
      s.read(KEY, etag, 12345, dst);
      assertRange(12345, dst);
      assertEquals(1, server.counters().gets(), "the first answer was taken, not retried");
      assertEquals(1, server.faults().injected());
    }
  }

  @Test
  void aCloseDelimitedRunIsReadCorrectly() throws IOException {
    try (OssObjectStore s = store(BodyTimeouts.DEFAULTS)) {
      server.faults().next(1).op(OssOperation.GET).closeDelimitedBody();
      OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
      s.readRun(KEY, etag, 7, new int[] {MIB, MIB}, p);
      assertEquals(ByteBuffer.wrap(blob, 7, MIB), p.filled.get(0));
      assertEquals(ByteBuffer.wrap(blob, 7 + MIB, MIB), p.filled.get(1));
      assertEquals(1, server.counters().gets());
    }
  }

  @Test
  void shortOrLongCloseDelimitedBodiesAreRetriedNeverServed() throws IOException {
    try (OssObjectStore s = store(FAST)) {
      server.faults().next(1).op(OssOperation.GET).closeDelimitedBody(1000); // short
      server.faults().next(1).op(OssOperation.GET).closeDelimitedBody(MIB + 1); // one byte too many
      ByteBuffer dst = ByteBuffer.allocate(MIB);
      s.read(KEY, etag, 4096, dst);
      assertRange(4096, dst);
      assertEquals(3, server.counters().gets());
    }
  }

  @Test
  void aBodyThatIsAlwaysShortOrLongFailsAndNeverYieldsData() throws IOException {
    try (OssObjectStore s = store(FAST)) {
      for (long sent : new long[] {MIB - 1, MIB + 1}) {
        server.faults().clear();
        server.faults().always().op(OssOperation.GET).closeDelimitedBody(sent);
        ByteBuffer dst = ByteBuffer.allocate(MIB);
        ObjectStoreException e =
            assertThrows(ObjectStoreException.class, () -> s.read(KEY, etag, 0, dst));
        assertEquals(ObjectStoreException.Kind.UNAVAILABLE, e.kind());
        assertEquals(0, dst.position(), "nothing presented as read");
        OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
        assertThrows(
            IOException.class, () -> s.readRun(KEY, etag, 0, new int[] {MIB / 2, MIB / 2}, p));
        assertTrue(
            p.filled.size() < 2, "the run's last piece is never handed over: " + p.filled.size());
      }
    }
  }

  @Test
  void aStalledBodyIsHedgedAndTheReadEndsWellUnderTheDeadline() throws IOException {
    // A long idle timeout: finishing before it proves the hedge won, not a retry.
    BodyTimeouts t =
        new BodyTimeouts(Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ofSeconds(15));
    try (OssObjectStore s = store(t)) {
      server.faults().next(1).op(OssOperation.GET).stallBodyForever(64 * 1024);
      ByteBuffer dst = ByteBuffer.allocateDirect(2 * MIB);
      long t0 = System.nanoTime();
      s.read(KEY, etag, MIB, dst);
      long ms = millisSince(t0);
      assertRange(MIB, dst);
      assertEquals(2, server.counters().gets(), "the stalled GET and its hedge");
      assertTrue(ms < t.idle().toMillis(), "the hedge won before the idle timeout: " + ms + " ms");
    }
  }

  @Test
  void aLateFirstByteIsHedged() throws IOException {
    BodyTimeouts t =
        new BodyTimeouts(Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ofSeconds(15));
    try (OssObjectStore s = store(t)) {
      server.faults().next(1).op(OssOperation.GET).delay(Duration.ofSeconds(60));
      ByteBuffer dst = ByteBuffer.allocate(MIB);
      long t0 = System.nanoTime();
      s.read(KEY, etag, 0, dst);
      assertRange(0, dst);
      assertTrue(millisSince(t0) < t.idle().toMillis(), "hedged: " + millisSince(t0) + " ms");
    }
  }

  @Test
  void aStallThatOutlivesTheIdleTimeoutFailsThatAttemptOnly() throws IOException {
    // Hedging waits longer than the idle timeout here: the stalled GET fails alone, then a retry
    // reads.
    BodyTimeouts noHedge =
        new BodyTimeouts(Duration.ofMillis(1500), Duration.ofSeconds(30), Duration.ofSeconds(20));
    try (OssObjectStore s = store(noHedge)) {
      server.faults().next(1).op(OssOperation.GET).stallBodyAfter(1000, Duration.ofSeconds(60));
      ByteBuffer dst = ByteBuffer.allocate(MIB);
      long t0 = System.nanoTime();
      s.read(KEY, etag, 0, dst);
      long ms = millisSince(t0);
      assertRange(0, dst);
      assertTrue(server.counters().gets() >= 2, "the stalled GET failed and was retried");
      assertTrue(ms >= 1400 && ms < 15_000, "one idle timeout, then a retry: " + ms + " ms");
    }
  }

  @Test
  void anEndpointThatStaysStalledGivesEioWithinTheDeadline() throws IOException {
    try (OssObjectStore s = store(FAST)) {
      server.faults().always().op(OssOperation.GET).stallBodyForever(0);
      ByteBuffer dst = ByteBuffer.allocate(MIB);
      long t0 = System.nanoTime();
      ObjectStoreException e =
          assertThrows(ObjectStoreException.class, () -> s.read(KEY, etag, 0, dst));
      long ms = millisSince(t0);
      assertEquals(ObjectStoreException.Kind.UNAVAILABLE, e.kind());
      assertEquals(0, dst.position());
      assertTrue(ms <= FAST.deadline().toMillis() + 1500, "EIO by the deadline: " + ms + " ms");
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
  }

  @Test
  void aRangeThatJustTimedOutFailsAtOnceForAMomentThenIsAskedAgain() throws IOException {
    // The kernel re-reads a page whose readahead failed at once: it must not wait a second
    // deadline.
    BodyTimeouts t =
        new BodyTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMillis(1500));
    try (OssObjectStore s = store(t)) {
      server.faults().always().op(OssOperation.GET).stallBodyForever(0);
      assertThrows(
          ObjectStoreException.class, () -> s.read(KEY, etag, 0, ByteBuffer.allocate(1000)));
      server.faults().clear();
      long gets = server.counters().gets();
      long t0 = System.nanoTime();
      ObjectStoreException e =
          assertThrows(
              ObjectStoreException.class, () -> s.read(KEY, etag, 0, ByteBuffer.allocate(1000)));
      assertTrue(millisSince(t0) < 500, millisSince(t0) + " ms");
      assertTrue(e.getMessage().contains("not asked again yet"), e.getMessage());
      assertEquals(gets, server.counters().gets(), "not sent");
      ByteBuffer other = ByteBuffer.allocate(1000);
      s.read(KEY, etag, 1000, other);
      assertRange(1000, other);
      long until = System.nanoTime() + 20_000_000_000L;
      while (true) {
        try {
          ByteBuffer dst = ByteBuffer.allocate(1000);
          s.read(KEY, etag, 0, dst);
          assertRange(0, dst);
          break;
        } catch (ObjectStoreException again) {
          if (System.nanoTime() > until) throw again;
        }
      }
    }
  }

  @Test
  void aSlowAttemptThatIsNeverIdleLongEnoughIsCutAtTheDeadline() throws IOException {
    // Each GET pauses 4 s: under the 5 s idle timeout, over the 2 s deadline; no hedge in time.
    BodyTimeouts t =
        new BodyTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(2));
    try (OssObjectStore s = store(t)) {
      server.faults().always().op(OssOperation.GET).stallBodyAfter(1000, Duration.ofSeconds(4));
      ByteBuffer dst = ByteBuffer.allocate(MIB);
      long t0 = System.nanoTime();
      ObjectStoreException e =
          assertThrows(ObjectStoreException.class, () -> s.read(KEY, etag, 0, dst));
      long ms = millisSince(t0);
      assertEquals(ObjectStoreException.Kind.UNAVAILABLE, e.kind());
      assertTrue(e.getMessage().contains("within 2000 ms"), e.getMessage());
      assertTrue(ms >= 1900 && ms <= 3500, "EIO at the deadline: " + ms + " ms");
      assertEquals(0, dst.position());
    }
  }

  @Test
  void aStalledRunFailsAfterTheIdleTimeoutAndHandsOverOnlyWholePieces() throws IOException {
    try (OssObjectStore s = store(FAST)) {
      server.faults().next(1).op(OssOperation.GET).stallBodyForever(MIB + 100);
      OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
      long t0 = System.nanoTime();
      assertThrows(IOException.class, () -> s.readRun(KEY, etag, 0, new int[] {MIB, MIB, MIB}, p));
      assertTrue(millisSince(t0) < FAST.idle().toMillis() + 3000, millisSince(t0) + " ms");
      assertEquals(1, p.filled.size());
      assertEquals(ByteBuffer.wrap(blob, 0, MIB), p.filled.get(0));
    }
  }

  @Test
  void concurrentReadsUnderHedgingAllGetTheirOwnBytes() throws Exception {
    try (OssObjectStore s = store(FAST)) {
      server.faults().next(6).op(OssOperation.GET).stallBodyAfter(10_000, Duration.ofSeconds(1));
      List<Thread> threads = new ArrayList<>();
      List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int t = 0; t < 8; t++) {
        int seed = t;
        Thread th =
            new Thread(
                () -> {
                  Random r = new Random(seed);
                  try {
                    for (int i = 0; i < 10; i++) {
                      int off = r.nextInt(blob.length - 300_000);
                      int len = 1 + r.nextInt(300_000);
                      ByteBuffer dst =
                          i % 2 == 0 ? ByteBuffer.allocate(len) : ByteBuffer.allocateDirect(len);
                      s.read(KEY, etag, off, dst);
                      assertRange(off, dst);
                    }
                  } catch (Throwable e) {
                    errors.add(e);
                  }
                });
        th.start();
        threads.add(th);
      }
      for (Thread t : threads) t.join();
      assertEquals(List.of(), errors);
    }
  }

  @Test
  void bodiesAreSignedLikeEverythingElseV4WithAnStsToken(@TempDir Path dir) throws IOException {
    try (LocalOssServer sts =
        LocalOssServer.builder()
            .root(dir)
            .bucket("bkt")
            .credentials("ak-sts", "sk-sts")
            .securityToken("tok-123")
            .build()
            .start()) {
      Files.write(sts.bucketDir("bkt").resolve(KEY), blob);
      OssConfig c =
          OssConfig.of(
                  sts.endpoint(),
                  new OssUri("bkt", ""),
                  OssCredentials.fixed("ak-sts", "sk-sts", "tok-123"),
                  SignatureVersion.V4,
                  sts.region())
              .withBodies(FAST);
      try (OssObjectStore s = OssObjectStore.open(c)) {
        String tag = s.head(KEY).orElseThrow().etag();
        sts.faults().next(1).op(OssOperation.GET).stallBodyForever(0); // the hedge is signed too
        ByteBuffer dst = ByteBuffer.allocateDirect(MIB);
        s.read(KEY, tag, 3, dst);
        assertRange(3, dst);
        OssObjectStoreTest.Pieces p = new OssObjectStoreTest.Pieces();
        s.readRun(KEY, tag, 0, new int[] {MIB}, p);
        assertEquals(ByteBuffer.wrap(blob, 0, MIB), p.filled.get(0));
        assertEquals(0, sts.counters().authFailures());
      }
    }
  }

  @Test
  void rangeProblemsAreNamed() {
    assertNull(OssObjectStore.rangeProblem("10", "bytes 5-14/100", 5, 10));
    assertNull(OssObjectStore.rangeProblem(null, "bytes 5-14/100", 5, 10));
    assertNull(OssObjectStore.rangeProblem(null, "bytes 5-14/*", 5, 10));
    assertNull(OssObjectStore.rangeProblem("10", null, 0, 10));
    assertNotNull(OssObjectStore.rangeProblem(null, null, 0, 10));
    assertNotNull(OssObjectStore.rangeProblem(null, "bytes 0-99/100", 5, 10));
    assertNotNull(OssObjectStore.rangeProblem("11", "bytes 5-14/100", 5, 10));
    assertNotNull(OssObjectStore.rangeProblem(null, "items 5-14/100", 5, 10));
  }

  /** Keeps the compiler honest about the interface the filesystem uses. */
  @SuppressWarnings("unused")
  private static ObjectStore asStore(OssObjectStore s) {
    return s;
  }
}
