package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.ServedMount;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One version per open, end to end (issue 10): an object overwritten with a same-size version while
 * the kernel holds pages of the old one must never be read as a mix of the two. Real mount, real
 * local-oss, default settings but for the transport and cache a subclass names.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractVersionPinningTest {
  static final String BUCKET = "versions";
  static final int MIB = 1 << 20;

  /** Large enough that a read at its end is past what readahead fetched after the first 16 MiB. */
  static final long SIZE = 96L * MIB;

  private Path work;
  private LocalOssServer server;
  private Path bucketDir;
  private Path mnt;
  private ServedMount mount;

  protected abstract String transport();

  protected List<String> extraMountArgs(Path work) throws IOException {
    return List.of();
  }

  static List<String> memTier(Path work) throws IOException {
    Path yaml = work.resolve("tieredstore.yaml");
    Files.writeString(
        yaml,
        "tieredstore:\n  levels:\n    - mediumtype: MEM\n      path: "
            + work.resolve("cache-mem")
            + "\n      quota: 512Mi\n      high: \"0.95\"\n      low: \"0.8\"\n");
    return List.of("--tieredstore", yaml.toString());
  }

  @BeforeAll
  void mountIt() throws Exception {
    work = Files.createTempDirectory("ossfuse-versions-");
    server = LocalOssServer.builder().root(work.resolve("oss")).bucket(BUCKET).build().start();
    bucketDir = server.bucketDir(BUCKET);
    for (String name : List.of("reread.bin", "concurrent.bin")) writeVersion(name, 1);
    mnt = Files.createDirectories(work.resolve("mnt"));
    List<String> more =
        new ArrayList<>(
            List.of("--state-dir", work.resolve("state").toString(), "--transport", transport()));
    more.addAll(extraMountArgs(work));
    mount =
        MountFixtures.mount(
            server, BUCKET, mnt, MountFixtures.creds(server, work), more.toArray(String[]::new));
  }

  @AfterAll
  void unmountIt() throws Exception {
    MountFixtures.tearDown(mount, mnt, server, work);
  }

  /** The sequence: dd of 16 MiB, overwrite, a read past the cached part (EIO), then cat. */
  @Test
  void aReReadAfterAnOverwriteIsAllOfTheNewVersion() throws Exception {
    Path f = mnt.resolve("reread.bin");
    assertEquals(Version.OLD, classify(read(f, 0, 16 * MIB), 0), "the first 16 MiB");
    writeVersion("reread.bin", 2);
    assertThrows(
        IOException.class, () -> read(f, SIZE - MIB, MIB), "a block of the old version not cached");
    assertEquals(
        Version.NEW, classify(read(f, 0, (int) SIZE), 0), "the whole file, read by a new open");
  }

  /**
   * A reader keeps the old version open; a new open reads the new one; neither sees the other's
   * bytes.
   */
  @Test
  void anOpenOldVersionAndANewOpenDoNotSeeEachOthersBytes() throws Exception {
    Path f = mnt.resolve("concurrent.bin");
    try (FileChannel old = FileChannel.open(f, StandardOpenOption.READ)) {
      assertEquals(Version.OLD, classify(read(old, 0, 16 * MIB), 0));
      writeVersion("concurrent.bin", 2);
      assertThrows(
          IOException.class,
          () -> read(f, SIZE - MIB, MIB),
          "a block of the old version not cached");
      assertEquals(
          Version.NEW,
          classify(read(f, 0, (int) SIZE), 0),
          "a new open while the old version is open");
      for (long off = 0; off < SIZE; off += 4 * MIB) {
        ByteBuffer b;
        try {
          b = read(old, off, 4 * MIB);
        } catch (IOException e) {
          // the old version is gone from the store: EIO is fine, other bytes are not. Also for its
          // first 16 MiB: the kernel keeps them only until it drops the pages (memory
          // pressure, or attributes that expired and showed the new mtime).
          continue;
        }
        assertEquals(Version.OLD, classify(b, off), "the old reader at " + off);
      }
    }
    assertEquals(Version.NEW, classify(read(f, 0, (int) SIZE), 0), "after the old reader closed");
  }

  enum Version {
    OLD,
    NEW
  }

  /**
   * The version all of {@code b} (at file offset {@code off}) is of; fails naming the first foreign
   * byte.
   */
  static Version classify(ByteBuffer b, long off) {
    b.flip();
    assertTrue(b.hasRemaining(), "no bytes read");
    Version v =
        b.get(0) == byteAt(1, off) ? Version.OLD : b.get(0) == byteAt(2, off) ? Version.NEW : null;
    assertNotNull(v, "byte at " + off + " is of neither version");
    int version = v == Version.OLD ? 1 : 2;
    for (int i = 0; i < b.limit(); i++) {
      if (b.get(i) != byteAt(version, off + i)) {
        fail(
            "bytes from "
                + (off + i)
                + " ("
                + ((off + i) / MIB)
                + " MiB) are not of the "
                + v
                + " version like those before: a mix");
      }
    }
    return v;
  }

  /** Version 1 and 2 differ at (nearly) every position; the same size. */
  static byte byteAt(int version, long pos) {
    long h = (pos >>> 3) * 0x9E3779B97F4A7C15L + version * 0xBF58476D1CE4E5B9L;
    return (byte) ((h >>> 56) ^ (pos & 7) ^ (version * 0x55));
  }

  private void writeVersion(String name, int version) throws IOException {
    Path tmp = work.resolve(name + ".v" + version);
    try (OutputStream out = Files.newOutputStream(tmp)) {
      byte[] chunk = new byte[MIB];
      for (long off = 0; off < SIZE; off += MIB) {
        for (int i = 0; i < MIB; i++) chunk[i] = byteAt(version, off + i);
        out.write(chunk);
      }
    }
    Files.move(
        tmp,
        bucketDir.resolve(name),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }

  private static ByteBuffer read(Path f, long off, int len) throws IOException {
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      return read(ch, off, len);
    }
  }

  private static ByteBuffer read(FileChannel ch, long off, int len) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(len);
    while (b.hasRemaining()) {
      if (ch.read(b, off + b.position()) < 0) break;
    }
    return b;
  }
}
