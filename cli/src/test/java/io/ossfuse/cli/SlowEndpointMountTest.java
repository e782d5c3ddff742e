package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.OssOperation;
import io.ossfuse.mount.MountFactory;
import io.ossfuse.mount.MountOptions;
import io.ossfuse.mount.ServedMount;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * What a reader of a real FUSE mount sees when the endpoint stalls or frames bodies without
 * Content-Length: correct bytes (through a hedged or retried GET) or EIO by the mount's {@code
 * --read-timeout}, never a wrong byte and never a minutes-long hang.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SlowEndpointMountTest {
  static final String BUCKET = "slowb";
  static final int SIZE = 6 << 20;
  static final long READ_TIMEOUT_MS = 4000;

  Path work;
  LocalOssServer server;
  Path mnt;
  ServedMount mount;
  byte[] content = new byte[SIZE];

  @BeforeAll
  void mountIt() throws Exception {
    work = Files.createTempDirectory("ossfuse-slow-");
    server = LocalOssServer.builder().root(work.resolve("oss")).bucket(BUCKET).build().start();
    new Random(11).nextBytes(content);
    for (String k : List.of("hedged.bin", "stalled.bin", "closed.bin", "short.bin")) {
      Files.write(server.bucketDir(BUCKET).resolve(k), content);
    }
    mnt = Files.createDirectories(work.resolve("mnt"));
    MountOptions o =
        MountFixtures.options(
            server,
            BUCKET,
            mnt,
            MountFixtures.creds(server, work),
            "--read-timeout",
            String.valueOf(READ_TIMEOUT_MS / 1000.0));
    assertEquals(READ_TIMEOUT_MS, o.readTimeoutMillis());
    mount = ServedMount.start(o, new MountFactory());
  }

  @AfterEach
  void clearFaults() {
    server.faults().clear();
  }

  @AfterAll
  void unmountIt() throws Exception {
    MountFixtures.tearDown(mount, mnt, server, work);
  }

  /** {@code len} bytes at {@code off} of the mounted file, read with one pread. */
  byte[] pread(String name, long off, int len) throws IOException {
    try (FileChannel ch = FileChannel.open(mnt.resolve(name))) {
      ByteBuffer b = ByteBuffer.allocate(len);
      while (b.hasRemaining()) {
        if (ch.read(b, off + b.position()) < 0) break;
      }
      return Arrays.copyOf(b.array(), b.position());
    }
  }

  static long millisSince(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  void aStalledGetIsHedgedAndTheReaderGetsTheRightBytesFast() throws IOException {
    server.faults().next(1).op(OssOperation.GET).key("hedged.bin").stallBodyForever(4096);
    long t0 = System.nanoTime();
    byte[] got = pread("hedged.bin", 0, 128 * 1024);
    long ms = millisSince(t0);
    assertArrayEquals(Arrays.copyOf(content, 128 * 1024), got);
    assertEquals(1, server.faults().injected(), "the first GET did stall");
    assertTrue(ms < READ_TIMEOUT_MS, "answered by the hedge, not after a timeout: " + ms + " ms");
  }

  @Test
  void anEndpointThatStaysStalledGivesEioByTheReadTimeoutAndThenRecovers() throws IOException {
    server.faults().always().op(OssOperation.GET).key("stalled.bin").stallBodyForever(0);
    long t0 = System.nanoTime();
    IOException e = assertThrows(IOException.class, () -> pread("stalled.bin", 0, 4096));
    long ms = millisSince(t0);
    assertTrue(String.valueOf(e.getMessage()).contains("Input/output error"), e.toString());
    assertTrue(ms < READ_TIMEOUT_MS + 3000, "EIO by the read timeout: " + ms + " ms");
    server.faults().clear();
    assertArrayEquals(
        Arrays.copyOfRange(content, SIZE - 5000, SIZE), pread("stalled.bin", SIZE - 5000, 5000));
    // The range that timed out fails at once for a second (the kernel's immediate re-read), then is
    // asked again.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        assertArrayEquals(Arrays.copyOf(content, 4096), pread("stalled.bin", 0, 4096));
        break;
      } catch (IOException again) {
        if (System.nanoTime() > until) throw again;
      }
    }
  }

  @Test
  void closeDelimitedAnswersAreReadCorrectly() throws IOException {
    server.faults().always().op(OssOperation.GET).key("closed.bin").closeDelimitedBody();
    assertArrayEquals(content, Files.readAllBytes(mnt.resolve("closed.bin")));
    assertTrue(server.faults().injected() > 0);
  }

  @Test
  void shortCloseDelimitedAnswersGiveEioNeverWrongBytes() throws IOException {
    server.faults().always().op(OssOperation.GET).key("short.bin").closeDelimitedBody(1000);
    assertThrows(IOException.class, () -> pread("short.bin", 0, 64 * 1024));
    server.faults().clear();
    assertArrayEquals(
        content, Files.readAllBytes(mnt.resolve("short.bin")), "nothing wrong was cached");
  }

  @Test
  void theReadTimeoutIsAlsoAMountOption() {
    MountCommand cmd = new MountCommand();
    new CommandLine(cmd)
        .parseArgs(
            "oss://bkt", "/m", "--endpoint", "http://127.0.0.1:1", "-o", "read_timeout=2.5,uid=7");
    assertEquals(2500, cmd.mountOptions().readTimeoutMillis());
    MountCommand bad = new MountCommand();
    new CommandLine(bad)
        .parseArgs("oss://bkt", "/m", "--endpoint", "http://127.0.0.1:1", "--read-timeout", "0");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::mountOptions);
    assertEquals("--read-timeout must be > 0 seconds", e.getMessage());
    MountCommand none = new MountCommand();
    new CommandLine(none).parseArgs("oss://bkt", "/m", "--endpoint", "http://127.0.0.1:1");
    assertEquals(
        0, none.mountOptions().readTimeoutMillis(), "unset: the serving process's default");
    assertTrue(new CommandLine(new MountCommand()).getUsageMessage().contains("--read-timeout"));
    assertTrue(new CommandLine(new DaemonCommand()).getUsageMessage().contains("--read-timeout"));
  }
}
