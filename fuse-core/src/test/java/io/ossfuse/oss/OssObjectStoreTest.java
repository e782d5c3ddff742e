package io.ossfuse.oss;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.OssOperation;
import io.ossfuse.store.ListPage;
import io.ossfuse.store.ObjectChangedException;
import io.ossfuse.store.ObjectMeta;
import io.ossfuse.store.ObjectStoreException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** OssObjectStore through the real SDK over real HTTP against the local OSS endpoint. */
class OssObjectStoreTest {
  @TempDir static Path root;
  static LocalOssServer server;
  static byte[] blob = new byte[3 << 20];

  @BeforeAll
  static void start() throws IOException {
    server =
        LocalOssServer.builder()
            .root(root)
            .bucket("bkt")
            .credentials("test-ak-0001", "test-sk-0001")
            .build()
            .start();
    Path b = server.bucketDir("bkt");
    new Random(3).nextBytes(blob);
    Files.createDirectories(b.resolve("d/sub"));
    Files.write(b.resolve("d/blob.bin"), blob);
    for (String n :
        List.of("with space.txt", "ünï 文件.txt", "100% sure.txt", "a+b=c.txt", "x&y<z>.txt")) {
      Files.writeString(b.resolve("d").resolve(n), n);
    }
    Files.writeString(b.resolve("d/sub/inner"), "inner");
    Files.createDirectories(b.resolve("d/emptydir"));
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  @AfterEach
  void clearFaults() {
    server.faults().clear();
  }

  /**
   * Object bodies over the lean path (the default for http), or through the SDK ({@link
   * OssObjectStoreSdkBodiesTest}).
   */
  static boolean leanBodies = true;

  // One GET per read or run here: the tests count requests. HttpBodiesTest covers reads in parts.

  static OssObjectStore store(String ak, String sk, String bucket) {
    return OssObjectStore.open(
        OssConfig.of(
            server.endpoint(),
            new OssUri(bucket, ""),
            OssCredentials.fixed(ak, sk, null),
            SignatureVersion.V1,
            null),
        leanBodies,
        1);
  }

  static OssObjectStore store() {
    return store("test-ak-0001", "test-sk-0001", "bkt");
  }

  @Test
  void listsPageByPageAndDecodesKeys() throws IOException {
    try (OssObjectStore s = store()) {
      List<String> names = new ArrayList<>();
      List<String> prefixes = new ArrayList<>();
      String token = null;
      int pages = 0;
      do {
        ListPage p = s.list("d/", token, 2);
        p.objects().forEach(o -> names.add(o.key()));
        prefixes.addAll(p.commonPrefixes());
        token = p.nextToken();
        pages++;
      } while (token != null);
      assertEquals(
          List.of(
              "d/100% sure.txt",
              "d/a+b=c.txt", "d/blob.bin", "d/with space.txt", "d/x&y<z>.txt", "d/ünï 文件.txt"),
          names);
      assertEquals(List.of("d/emptydir/", "d/sub/"), prefixes);
      assertTrue(pages >= 4, "pages: " + pages);
    }
  }

  @Test
  void headReportsSizeAndEtagAndAbsence() throws IOException {
    try (OssObjectStore s = store()) {
      ObjectMeta m = s.head("d/ünï 文件.txt").orElseThrow();
      assertEquals("ünï 文件.txt".getBytes(StandardCharsets.UTF_8).length, m.size());
      assertFalse(m.etag().isEmpty());
      assertFalse(m.etag().contains("\""));
      assertTrue(s.head("d/nope").isEmpty());
      assertTrue(s.head("d/sub").isEmpty(), "a prefix is not an object");
    }
  }

  @Test
  void rangedReadsReturnExactlyTheRange() throws IOException {
    try (OssObjectStore s = store()) {
      String etag = s.head("d/blob.bin").orElseThrow().etag();
      Random r = new Random(5);
      for (int i = 0; i < 20; i++) {
        int off = r.nextInt(blob.length - 1);
        int len = 1 + r.nextInt(Math.min(blob.length - off, 300_000));
        ByteBuffer dst = i % 2 == 0 ? ByteBuffer.allocate(len) : ByteBuffer.allocateDirect(len);
        s.read("d/blob.bin", etag, off, dst);
        assertFalse(dst.hasRemaining());
        dst.flip();
        byte[] got = new byte[len];
        dst.get(got);
        assertArrayEquals(Arrays.copyOfRange(blob, off, off + len), got);
      }
    }
  }

  @Test
  void aStaleEtagIsObjectChanged() throws IOException {
    try (OssObjectStore s = store()) {
      assertThrows(
          ObjectChangedException.class,
          () ->
              s.read("d/blob.bin", "0123456789ABCDEF0123456789ABCDEF", 0, ByteBuffer.allocate(10)));
    }
  }

  @Test
  void truncatedAndResetBodiesAreRetried() throws IOException {
    try (OssObjectStore s = store()) {
      server.counters().reset();
      server.faults().next(1).op(OssOperation.GET).truncateBody(1000);
      server.faults().next(1).op(OssOperation.GET).resetMidBody();
      ByteBuffer dst = ByteBuffer.allocate(1 << 20);
      s.read("d/blob.bin", null, 4096, dst);
      assertArrayEquals(Arrays.copyOfRange(blob, 4096, 4096 + (1 << 20)), dst.array());
      assertEquals(3, server.counters().gets());
    }
  }

  /** Collects the pieces of a readRun in heap buffers. */
  static class Pieces implements io.ossfuse.store.ObjectStore.RunSink {
    final List<ByteBuffer> filled = new ArrayList<>();

    @Override
    public ByteBuffer buffer(int index, int length) {
      return ByteBuffer.allocate(length);
    }

    @Override
    public void filled(int index, ByteBuffer dst) {
      assertEquals(filled.size(), index, "pieces in order");
      assertFalse(dst.hasRemaining(), "a piece is handed over full");
      filled.add(dst.flip());
    }
  }

  @Test
  void aRunIsOneGetHandedOverPieceByPiece() throws IOException {
    try (OssObjectStore s = store()) {
      server.counters().reset();
      Pieces p = new Pieces();
      int[] lengths = {1 << 20, 1 << 20, (1 << 20) - 5};
      s.readRun("d/blob.bin", null, 5, lengths, p);
      assertEquals(1, server.counters().gets());
      assertEquals(3, p.filled.size());
      long off = 5;
      for (int i = 0; i < 3; i++) {
        assertEquals(ByteBuffer.wrap(blob, (int) off, lengths[i]), p.filled.get(i), "piece " + i);
        off += lengths[i];
      }
    }
  }

  @Test
  void aBrokenRunHandsOverOnlyCompletePiecesAndDoesNotRetry() throws IOException {
    try (OssObjectStore s = store()) {
      server.counters().reset();
      server.faults().next(1).op(OssOperation.GET).truncateBody((1 << 20) + 100);
      Pieces p = new Pieces();
      assertThrows(
          IOException.class,
          () -> s.readRun("d/blob.bin", null, 0, new int[] {1 << 20, 1 << 20, 1 << 20}, p));
      assertEquals(1, p.filled.size(), "only the piece that arrived whole");
      assertEquals(ByteBuffer.wrap(blob, 0, 1 << 20), p.filled.get(0));
      assertEquals(1, server.counters().gets(), "the caller re-reads the rest, with retries");
    }
  }

  @Test
  void aRunOfAChangedObjectIsObjectChanged() throws IOException {
    try (OssObjectStore s = store()) {
      Pieces p = new Pieces();
      assertThrows(
          ObjectChangedException.class,
          () ->
              s.readRun(
                  "d/blob.bin", "0123456789ABCDEF0123456789ABCDEF", 0, new int[] {10, 10}, p));
      assertTrue(p.filled.isEmpty());
    }
  }

  @Test
  void persistentTruncationEndsInUnavailable() throws IOException {
    try (OssObjectStore s = store()) {
      server.faults().always().op(OssOperation.GET).truncateBody(10);
      ObjectStoreException e =
          assertThrows(
              ObjectStoreException.class,
              () -> s.read("d/blob.bin", null, 0, ByteBuffer.allocate(100)));
      assertEquals(ObjectStoreException.Kind.UNAVAILABLE, e.kind());
    }
  }

  @Test
  void serverErrorsAreRetriedBySdk() throws IOException {
    try (OssObjectStore s = store()) {
      server.counters().reset();
      server.faults().next(2).op(OssOperation.HEAD).status(503);
      assertTrue(s.head("d/blob.bin").isPresent());
      assertEquals(3, server.counters().heads());
    }
  }

  @Test
  void failuresCarryAKind() throws IOException {
    try (OssObjectStore s = store("test-ak-0001", "wrong-secret", "bkt")) {
      assertEquals(
          ObjectStoreException.Kind.ACCESS_DENIED,
          assertThrows(ObjectStoreException.class, () -> s.list("", null, 1)).kind());
    }
    try (OssObjectStore s = store("test-ak-0001", "test-sk-0001", "no-such-bucket")) {
      assertEquals(
          ObjectStoreException.Kind.NO_SUCH_BUCKET,
          assertThrows(ObjectStoreException.class, () -> s.list("", null, 1)).kind());
    }
    int port;
    try (ServerSocket ss = new ServerSocket(0)) {
      port = ss.getLocalPort();
    }
    OssConfig down =
        new OssConfig(
            "http://127.0.0.1:" + port,
            new OssUri("bkt", ""),
            OssCredentials.fixed("a", "b", null),
            SignatureVersion.V1,
            null,
            null,
            null,
            0,
            0);
    try (OssObjectStore s = OssObjectStore.open(down)) {
      ObjectStoreException e = assertThrows(ObjectStoreException.class, () -> s.list("", null, 1));
      assertEquals(ObjectStoreException.Kind.UNAVAILABLE, e.kind());
    }
  }

  @Test
  void signatureV4Works() throws IOException {
    OssConfig c =
        OssConfig.of(
            server.endpoint(),
            new OssUri("bkt", ""),
            OssCredentials.fixed("test-ak-0001", "test-sk-0001", null),
            SignatureVersion.V4,
            server.region());
    try (OssObjectStore s = OssObjectStore.open(c)) {
      assertTrue(s.head("d/blob.bin").isPresent());
      assertEquals(2, s.list("d/", null, 1000).commonPrefixes().size());
    }
  }

  @Test
  void rotatedKeysInASecretVolumeAreUsedWithoutARestart(@TempDir Path secret) throws Exception {
    // Kubelet's layout: files are symlinks through ..data, which points at a timestamped dir.
    Path v1 = Files.createDirectories(secret.resolve("..2026_01_01_00_00_00.1"));
    Files.writeString(v1.resolve("fs.oss.accessKeyId"), "test-ak-0001\n");
    Files.writeString(v1.resolve("fs.oss.accessKeySecret"), "stale-secret\n");
    Files.createSymbolicLink(secret.resolve("..data"), v1.getFileName());
    Files.createSymbolicLink(
        secret.resolve("fs.oss.accessKeyId"), Path.of("..data/fs.oss.accessKeyId"));
    Files.createSymbolicLink(
        secret.resolve("fs.oss.accessKeySecret"), Path.of("..data/fs.oss.accessKeySecret"));
    var provider = (SecretDirCredentialsProvider) OssCredentials.fromDirectory(secret);
    OssConfig c =
        OssConfig.of(server.endpoint(), new OssUri("bkt", ""), provider, SignatureVersion.V1, null);
    try (OssObjectStore s = OssObjectStore.open(c)) {
      assertEquals(
          ObjectStoreException.Kind.ACCESS_DENIED,
          assertThrows(ObjectStoreException.class, () -> s.head("d/blob.bin")).kind());
      Path v2 = Files.createDirectories(secret.resolve("..2026_01_02_00_00_00.2"));
      Files.writeString(v2.resolve("fs.oss.accessKeyId"), "test-ak-0001\n");
      Files.writeString(v2.resolve("fs.oss.accessKeySecret"), "test-sk-0001\n");
      Path tmp = secret.resolve("..data_tmp");
      Files.createSymbolicLink(tmp, v2.getFileName());
      Files.move(tmp, secret.resolve("..data"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      provider.refreshIfChanged(); // what the once-a-second check does
      assertTrue(s.head("d/blob.bin").isPresent());
    }
    assertFalse(provider.toString().contains("test-sk"));
    assertFalse(c.toString().contains("test-sk"));
  }
}
