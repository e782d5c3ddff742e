package io.ossfuse.localoss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The modelled remote endpoint: per-connection bandwidth cap and first-byte latency. */
class RemoteProfileTest {
  static final int MIB = 1 << 20;

  @TempDir Path root;

  private LocalOssServer start(RemoteProfile profile, byte[] content) throws IOException {
    Files.createDirectories(root.resolve("bkt"));
    Files.write(root.resolve("bkt/obj.bin"), content);
    return LocalOssServer.builder()
        .root(root)
        .credentials("ak", "sk")
        .allowAnonymousRead(true)
        .remoteProfile(profile)
        .build()
        .start();
  }

  private static byte[] content(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (i * 7 + (i >>> 11));
    return b;
  }

  @Test
  void eachRequestWaitsForTheFirstByteLatency() throws IOException {
    try (LocalOssServer s = start(new RemoteProfile(0, Duration.ofMillis(300)), content(1000))) {
      RawHttp.Response r = RawHttp.get(s.port(), "/bkt/obj.bin");
      assertEquals(200, r.status());
      assertTrue(r.millis() >= 300, "answered after " + r.millis() + " ms");
      assertEquals(404, RawHttp.get(s.port(), "/bkt/missing").status());
    }
  }

  @Test
  void eachConnectionIsPacedAndParallelConnectionsAddUp() throws Exception {
    byte[] content = content(2 * MIB);
    // 4 MiB/s: one 2 MiB answer takes >= ~0.5 s (the first slice goes out at once)
    try (LocalOssServer s = start(new RemoteProfile(4L * MIB, Duration.ZERO), content)) {
      RawHttp.Response one = RawHttp.get(s.port(), "/bkt/obj.bin");
      assertArrayEquals(content, one.body());
      assertTrue(one.millis() >= 450, "2 MiB at 4 MiB/s in " + one.millis() + " ms");
      long t0 = System.nanoTime();
      CompletableFuture<RawHttp.Response> a = CompletableFuture.supplyAsync(() -> get(s));
      CompletableFuture<RawHttp.Response> b = CompletableFuture.supplyAsync(() -> get(s));
      assertArrayEquals(content, a.join().body());
      assertArrayEquals(content, b.join().body());
      long both = (System.nanoTime() - t0) / 1_000_000;
      // two connections are not one shared pipe: together they take about as long as one
      assertTrue(both < 2 * 450, "two parallel 2 MiB answers in " + both + " ms");
      assertEquals(3 * 2L * MIB, s.counters().bytesSent());
    }
  }

  private static RawHttp.Response get(LocalOssServer s) {
    try {
      return RawHttp.get(s.port(), "/bkt/obj.bin");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void ratesAndLatenciesParseWithOneLineErrors() {
    assertEquals(150L * MIB, RemoteProfile.parseRate("150M"));
    assertEquals(150L * MIB, RemoteProfile.parseRate("150MiB/s"));
    assertEquals(2L << 30, RemoteProfile.parseRate("2G"));
    assertEquals(1000, RemoteProfile.parseRate("1000"));
    assertEquals(Duration.ofMillis(5), RemoteProfile.parseLatency("5ms"));
    assertEquals(Duration.ofNanos(500_000), RemoteProfile.parseLatency("500us"));
    assertEquals(Duration.ofMillis(200), RemoteProfile.parseLatency("0.2s"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RemoteProfile.parseRate("fast"));
    assertEquals(
        "bandwidth 'fast' is not a rate: use " + RemoteProfile.RATE_SYNTAX, e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> RemoteProfile.parseLatency("5"));
    assertTrue(e.getMessage().startsWith("latency '5' is not a duration"), e.getMessage());
    assertTrue(RemoteProfile.NONE.isNone());
    assertEquals("loopback", RemoteProfile.NONE.toString());
  }
}
