package io.ossfuse.oss;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.cache.TieredBlockCache;
import io.ossfuse.cache.TieredStoreConfig;
import io.ossfuse.fs.ObjectFileSystem;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.RemoteProfile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cold sequential reader of an endpoint that paces each connection (the remote profile: real OSS
 * gives one connection ~150 MiB/s): the read keeps several ranged GETs in flight on several
 * connections, counted at the endpoint, and every byte is right.
 */
class ColdSequentialTest {
  static final int MIB = 1 << 20;
  static final int SIZE = 96 * MIB;
  static final long PACE = 150L * MIB;

  @TempDir static Path root;
  static LocalOssServer server;
  static byte[] blob = new byte[SIZE];

  @BeforeAll
  static void start() throws IOException {
    server =
        LocalOssServer.builder()
            .root(root.resolve("oss"))
            .bucket("bkt")
            .credentials("test-ak-0001", "test-sk-0001")
            .remoteProfile(new RemoteProfile(PACE, Duration.ofMillis(5)))
            .build()
            .start();
    new Random(11).nextBytes(blob);
    Files.write(server.bucketDir("bkt").resolve("big.bin"), blob);
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  static void deleteTree(Path dir) throws IOException {
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  @Test
  void aSequentialReaderKeepsSeveralRangedGetsInFlight() throws Exception {
    server.counters().reset();
    OssConfig config =
        OssConfig.of(
            server.endpoint(),
            new OssUri("bkt", ""),
            OssCredentials.fixed("test-ak-0001", "test-sk-0001", null),
            SignatureVersion.V1,
            null);
    // the MEM level on tmpfs, as in production: a disk would measure the disk
    Path shm = Path.of("/dev/shm");
    Path cacheDir =
        Files.createTempDirectory(Files.isDirectory(shm) ? shm : root, "ossfuse-coldseq-test-");
    try (OssObjectStore store = OssObjectStore.open(config);
        TieredBlockCache cache =
            TieredBlockCache.builder(TieredStoreConfig.memory(cacheDir, 512L * MIB)).build();
        ObjectFileSystem fs = ObjectFileSystem.builder(store).cache(cache).build();
        AutoCloseable rm = () -> deleteTree(cacheDir)) {
      long ino = fs.lookup(1, "big.bin").ino();
      long fh = fs.open(ino, 0).fh();
      ByteBuffer b = ByteBuffer.allocateDirect(MIB);
      byte[] got = new byte[MIB];
      long t0 = System.nanoTime();
      for (int off = 0; off < SIZE; off += MIB) {
        b.clear();
        assertEquals(MIB, fs.read(ino, fh, off, b));
        b.flip().get(got);
        if (!java.util.Arrays.equals(got, 0, MIB, blob, off, off + MIB))
          fail("wrong bytes in [" + off + ", +1 MiB)");
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      fs.release(ino, fh);
      double rate = SIZE / secs;
      System.out.printf(
          "cold sequential %.0f MB/s (one connection %.0f); peak GETs in flight %d, gets %d%n",
          rate / 1e6, PACE / 1e6, server.counters().peakGetsInFlight(), server.counters().gets());
      assertTrue(
          server.counters().peakGetsInFlight() >= 4,
          "peak GETs in flight: " + server.counters().peakGetsInFlight());
      // readahead runs come one GET per block, not one per MiB part of each block
      assertTrue(
          server.counters().gets() <= 2 * SIZE / (4 * MIB), "gets " + server.counters().gets());
      assertTrue(
          server.counters().bytesSent() <= SIZE + SIZE / 20,
          "bytes sent " + server.counters().bytesSent());
    }
  }
}
