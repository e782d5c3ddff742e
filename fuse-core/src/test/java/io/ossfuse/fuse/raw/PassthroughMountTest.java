package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fs.BackingFile;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.OpenFile;
import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.dev.FuseDevice;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * FUSE passthrough on a real mount (kernel >= 6.9 with CONFIG_FUSE_PASSTHROUGH): an open offered a
 * backing file is read by the kernel without a READ reaching us; the kernel's one-backing-per-inode
 * rule never makes an open fail; ids are released with the last open.
 */
class PassthroughMountTest {
  static final int SIZE = 8 << 20;
  Path root;
  Path shm;
  FuseDevice device;
  RawFuseTransport.Server session;
  Path mnt;
  final AtomicInteger serverReads = new AtomicInteger();
  final AtomicInteger released = new AtomicInteger();

  /** The backing file offered for big ("" = none) and its version. */
  final AtomicReference<String[]> offer = new AtomicReference<>(new String[] {"", ""});

  class OfferingFs extends PatternFileSystem {
    OfferingFs() {
      super(SIZE, true, 0, 0);
    }

    @Override
    public OpenFile open(long ino, int flags) throws FsException {
      OpenFile f = super.open(ino, flags);
      String[] o = offer.get();
      if (ino != BIG || o[0].isEmpty()) {
        return f;
      }
      Path p = Path.of(o[0]);
      String version = o[1];
      return new OpenFile(
          f.fh(),
          f.pageCache(),
          f.attr(),
          new BackingFile() {
            @Override
            public Path path() {
              return p;
            }

            @Override
            public String version() {
              return version;
            }

            @Override
            public void release() {
              released.incrementAndGet();
            }
          });
    }

    @Override
    public int read(long ino, long fh, long offset, ByteBuffer dst) throws FsException {
      if (ino == BIG) {
        serverReads.incrementAndGet();
      }
      return super.read(ino, fh, offset, dst);
    }
  }

  @BeforeEach
  void mount() throws Exception {
    root = Files.createTempDirectory("pt-mount");
    shm = Files.createTempDirectory(Path.of("/dev/shm"), "pt-backing");
    mnt = Files.createDirectories(root.resolve("mnt"));
    device = FuseDevice.mount(mnt, FuseMountConfig.of("pttest", true));
    session =
        (RawFuseTransport.Server)
            RawFuseTransport.start(
                device.fd(),
                new OfferingFs(),
                new SessionState(root.resolve("state"), device.sessionId()),
                RawFuseConfig.defaults().withWorkers(2));
    session.awaitMode(Duration.ofSeconds(10));
    assertTrue(device.probe(Duration.ofSeconds(5)), "mount answers");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        session.passthrough() != null, "kernel without FUSE passthrough");
  }

  @AfterEach
  void unmount() throws Exception {
    if (device != null) {
      device.close();
    }
    if (session != null) {
      session.awaitTermination(Duration.ofSeconds(10));
    }
    ChildHarness.deleteTree(root);
    ChildHarness.deleteTree(shm);
  }

  Path backing(String name, int xor) throws Exception {
    byte[] b = PatternFileSystem.pattern(SIZE);
    for (int i = 0; i < b.length; i++) {
      b[i] ^= xor;
    }
    Path p = shm.resolve(name);
    Files.write(p, b);
    return p;
  }

  static void await(BooleanSupplier c, String what) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  static byte[] readAll(RandomAccessFile f) throws Exception {
    byte[] b = new byte[(int) f.length()];
    f.seek(0);
    f.readFully(b);
    return b;
  }

  @Test
  void offeredBackingIsReadByTheKernelAndReleasedWithTheLastOpen() throws Exception {
    offer.set(new String[] {backing("v1", 0x55).toString(), "v1"});
    try (RandomAccessFile a = new RandomAccessFile(mnt.resolve("big").toFile(), "r");
        RandomAccessFile b = new RandomAccessFile(mnt.resolve("big").toFile(), "r")) {
      byte[] got = readAll(a);
      byte[] want = Files.readAllBytes(shm.resolve("v1"));
      assertArrayEquals(want, got, "passthrough reads the backing file");
      assertArrayEquals(want, readAll(b));
      assertEquals(0, serverReads.get(), "no READ reached the server");
      assertEquals(1, session.passthrough().liveIds().size(), "one id for both opens");
      assertEquals(2, session.passthroughOpens());
    }
    await(
        () -> session.passthrough().liveIds().isEmpty(), "the id released after the last RELEASE");
    assertEquals(
        2, released.get(), "both offers released (one kept while registered, one at once)");
  }

  @Test
  void aFileOpenedTheUsualWayKeepsItUntilClosed() throws Exception {
    try (RandomAccessFile usual = new RandomAccessFile(mnt.resolve("big").toFile(), "r")) {
      offer.set(new String[] {backing("v1", 0x55).toString(), "v1"});
      try (RandomAccessFile second = new RandomAccessFile(mnt.resolve("big").toFile(), "r")) {
        assertArrayEquals(
            PatternFileSystem.pattern(SIZE),
            readAll(second),
            "usual path while a cached open exists");
        assertArrayEquals(PatternFileSystem.pattern(SIZE), readAll(usual));
        assertTrue(session.passthrough().liveIds().isEmpty());
      }
    }
    await(() -> session.passthrough().counts().isEmpty(), "both releases");
    try (RandomAccessFile third = new RandomAccessFile(mnt.resolve("big").toFile(), "r")) {
      int before = serverReads.get();
      assertArrayEquals(
          Files.readAllBytes(shm.resolve("v1")), readAll(third), "passthrough once none is open");
      assertEquals(before, serverReads.get());
    }
  }

  @Test
  void aNewVersionIsReadThroughUsWhileAnOldPassthroughOpenHoldsTheInode() throws Exception {
    offer.set(new String[] {backing("v1", 0x55).toString(), "v1"});
    try (RandomAccessFile old = new RandomAccessFile(mnt.resolve("big").toFile(), "r")) {
      byte[] v1 = Files.readAllBytes(shm.resolve("v1"));
      old.seek(0);
      byte[] head = new byte[1 << 20];
      old.readFully(head);
      offer.set(new String[] {backing("v2", 0).toString(), "v2"});
      try (RandomAccessFile fresh = new RandomAccessFile(mnt.resolve("big").toFile(), "r")) {
        assertArrayEquals(
            PatternFileSystem.pattern(SIZE), readAll(fresh), "the new open reads its version");
        assertTrue(serverReads.get() > 0, "through the server (direct I/O)");
        assertArrayEquals(v1, readAll(old), "the old open keeps reading its version");
      }
    }
    await(() -> session.passthrough().liveIds().isEmpty(), "id released");
    int before = serverReads.get();
    try (RandomAccessFile later = new RandomAccessFile(mnt.resolve("big").toFile(), "r")) {
      assertArrayEquals(
          PatternFileSystem.pattern(SIZE), readAll(later), "v2 through its own backing file");
      assertEquals(before, serverReads.get());
    }
  }

  /**
   * The cache evicts a whole file (unlinks it) while a passthrough open reads it: that open keeps
   * reading it from the kernel's reference; a new open while it is held goes through us (the cache
   * offers nothing any more) on the held id; once all close, the id goes.
   */
  @Test
  void anEvictedBackingFileKeepsServingTheOpenThatHoldsIt() throws Exception {
    Path v1 = backing("v1", 0x55);
    byte[] want = Files.readAllBytes(v1);
    offer.set(new String[] {v1.toString(), "v1"});
    try (RandomAccessFile held = new RandomAccessFile(mnt.resolve("big").toFile(), "r")) {
      byte[] head = new byte[1 << 20];
      held.readFully(head);
      Files.delete(v1); // evicted: the cache unlinks it and offers it no more
      offer.set(new String[] {"", ""});
      assertArrayEquals(want, readAll(held), "the held open reads the unlinked file");
      assertEquals(0, serverReads.get());
      try (RandomAccessFile fresh = new RandomAccessFile(mnt.resolve("big").toFile(), "r")) {
        assertArrayEquals(
            PatternFileSystem.pattern(SIZE), readAll(fresh), "a new open reads through us");
        assertTrue(serverReads.get() > 0);
        assertEquals(1, session.passthrough().liveIds().size(), "on the held id");
      }
      assertArrayEquals(want, readAll(held));
    }
    await(() -> session.passthrough().liveIds().isEmpty(), "id released");
  }
}
