package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.ServedMount;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Random 4 KiB reads through a real mount fetch about what they read (counted by the bytes
 * local-oss sent), while a sequential read of the same object still goes through whole blocks. A
 * subclass names the cache configuration.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractRandomReadMountTest {
  static final String BUCKET = "rtest";
  static final int MIB = 1 << 20;
  static final long OBJECT = 64L * MIB;

  private Path work;
  private LocalOssServer server;
  private Path mnt;
  private ServedMount mount;
  private byte[] content;

  /**
   * More {@code ossfuse mount} arguments (e.g. a tiered store); {@code work} is this run's temp
   * dir.
   */
  protected List<String> extraMountArgs(Path work) throws IOException {
    return List.of();
  }

  @BeforeAll
  void mountIt() throws Exception {
    work = Files.createTempDirectory("ossfuse-rand-");
    server = LocalOssServer.builder().root(work.resolve("oss")).bucket(BUCKET).build().start();
    content = new byte[(int) OBJECT];
    new Random(7).nextBytes(content);
    Files.write(server.bucketDir(BUCKET).resolve("big.bin"), content);
    Files.write(server.bucketDir(BUCKET).resolve("seq.bin"), content);
    mnt = Files.createDirectories(work.resolve("mnt"));
    List<String> more = new ArrayList<>(List.of("--transport", "raw"));
    more.addAll(extraMountArgs(work));
    mount =
        MountFixtures.mount(
            server, BUCKET, mnt, MountFixtures.creds(server, work), more.toArray(String[]::new));
  }

  @AfterAll
  void unmountIt() throws Exception {
    MountFixtures.tearDown(mount, mnt, server, work);
  }

  @Test
  void randomFourKibReadsFetchAtMostTwiceWhatTheyRead() throws IOException {
    Random r = new Random(11);
    int reads = 400;
    long before = server.counters().bytesSent("big.bin");
    try (FileChannel ch = FileChannel.open(mnt.resolve("big.bin"), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(4096);
      for (int i = 0; i < reads; i++) {
        // page-aligned, never page 0 (where the kernel starts its own readahead)
        long off = 4096L * (1 + r.nextInt((int) (OBJECT / 4096) - 1));
        b.clear();
        while (b.hasRemaining() && ch.read(b, off + b.position()) > 0) {
          // a read may be short
        }
        assertArrayEquals(
            Arrays.copyOfRange(content, (int) off, (int) off + 4096), b.array(), "at " + off);
      }
    }
    long fetched = server.counters().bytesSent("big.bin") - before;
    double amplification = (double) fetched / (reads * 4096L);
    assertTrue(
        amplification <= 2,
        "bytes fetched / bytes read = " + amplification + " (" + fetched + " bytes)");
  }

  @Test
  void aSequentialReadStillGoesThroughWholeBlocks() throws IOException {
    long gets = server.counters().gets("seq.bin");
    long sent = server.counters().bytesSent("seq.bin");
    long t0 = System.nanoTime();
    byte[] got = new byte[(int) OBJECT];
    try (InputStream in = Files.newInputStream(mnt.resolve("seq.bin"))) {
      int off = 0;
      for (int n;
          off < got.length && (n = in.read(got, off, Math.min(MIB, got.length - off))) > 0; )
        off += n;
      assertEquals(OBJECT, off);
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    assertArrayEquals(content, got);
    long requests = server.counters().gets("seq.bin") - gets;
    // 16 blocks of 4 MiB, some fetched in runs of several; a slow stream splits a piece into up to
    // 4 parallel ranged parts (oss/HttpBodies): never more GETs than that, never one per page
    assertTrue(requests <= 16 * 4 + 4, requests + " GETs for 16 blocks");
    assertTrue(
        server.counters().bytesSent("seq.bin") - sent <= OBJECT + 8L * MIB,
        "each block fetched once: " + (server.counters().bytesSent("seq.bin") - sent) + " bytes");
    // a loose floor (loaded CI machine): a GET per 128 KiB page run would be far slower
    assertTrue(OBJECT / secs > 20e6, "sequential read at " + (OBJECT / secs / 1e6) + " MB/s");
  }
}
