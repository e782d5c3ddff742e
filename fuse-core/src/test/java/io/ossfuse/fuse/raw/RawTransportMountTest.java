package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.dev.FuseDevice;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The raw transport served in this JVM on a real mount: every opcode the kernel sends for common
 * tools.
 */
class RawTransportMountTest {
  static final int BIG = 32 << 20;
  static Path root;
  static FuseDevice device;
  static RawFuseSession session;
  static Path mnt;

  @BeforeAll
  static void mount() throws Exception {
    root = Files.createTempDirectory("raw-mount");
    mnt = Files.createDirectories(root.resolve("mnt"));
    device = FuseDevice.mount(mnt, FuseMountConfig.of("rawtest", true));
    session =
        RawFuseTransport.start(
            device.fd(),
            new PatternFileSystem(BIG, true, 0, 0),
            new SessionState(root.resolve("state"), device.sessionId()),
            RawFuseConfig.defaults().withWorkers(4));
    assertEquals(ServeMode.SHARED_FD_FRESH, session.awaitMode(Duration.ofSeconds(10)));
    assertTrue(device.probe(Duration.ofSeconds(5)), "mount answers");
  }

  @AfterAll
  static void unmount() throws Exception {
    if (device != null) {
      device.close();
    }
    if (session != null) {
      assertTrue(session.awaitTermination(Duration.ofSeconds(10)), "workers stop after unmount");
      assertTrue(session.failure().isEmpty());
    }
    assertFalse(
        Files.readString(Path.of("/proc/mounts")).contains(mnt.toString()), "no leaked mount");
    ChildHarness.deleteTree(root);
  }

  @Test
  void listsAndStats() throws Exception {
    try (Stream<Path> s = Files.list(mnt)) {
      assertEquals(
          List.of("big", "dir", "hello"), s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertEquals(BIG, Files.size(mnt.resolve("big")));
    assertTrue(Files.isDirectory(mnt.resolve("dir")));
    assertFalse(Files.exists(mnt.resolve("nope")));
    assertEquals(
        "0:0 444 regular file",
        Shell.run(10_000, "stat", "-c", "%u:%g %a %F", mnt.resolve("hello").toString())
            .out()
            .strip());
  }

  @Test
  void readsExactBytes() throws Exception {
    assertArrayEquals(PatternFileSystem.HELLO_BYTES, Files.readAllBytes(mnt.resolve("hello")));
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(mnt.resolve("big"))) {
      byte[] buf = new byte[1 << 20];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    String expected = PatternFileSystem.sha256(PatternFileSystem.pattern(BIG));
    assertEquals(expected, HexFormat.of().formatHex(md.digest()));
    Shell.Result direct =
        Shell.sh(
            60_000, "dd if=" + mnt.resolve("big") + " iflag=direct bs=1M status=none | sha256sum");
    assertEquals(expected, direct.out().split(" ")[0], direct.toString());
    assertEquals(
        "klmno",
        Shell.sh(
                10_000,
                "cat "
                    + mnt.resolve("dir").resolve(PatternFileSystem.fileName(10))
                    + " | head -c 5")
            .out());
  }

  @Test
  void listsLargeDirectoryWithAttributes() throws Exception {
    Shell.Result names = Shell.sh(60_000, "ls -f " + mnt.resolve("dir") + " | wc -l");
    assertEquals(
        String.valueOf(PatternFileSystem.FILES + 2), names.out().strip(), names.toString());
    Shell.Result longList =
        Shell.sh(
            60_000,
            "ls -l " + mnt.resolve("dir") + " | tail -n +2 | awk '{s+=$5} END {print NR, s}'");
    long sum = (long) PatternFileSystem.FILES * (PatternFileSystem.FILES - 1) / 2;
    assertEquals(PatternFileSystem.FILES + " " + sum, longList.out().strip(), longList.toString());
  }

  @Test
  void refusesWritesWithErofs() throws Exception {
    FileSystemException e =
        assertThrows(FileSystemException.class, () -> Files.writeString(mnt.resolve("new"), "x"));
    assertTrue(e.getMessage().contains("Read-only file system"), e.getMessage());
    Shell.Result mkdir = Shell.run(10_000, "mkdir", mnt.resolve("d").toString());
    assertTrue(mkdir.err().contains("Read-only file system"), mkdir.toString());
    Shell.Result rm = Shell.run(10_000, "rm", "-f", mnt.resolve("hello").toString());
    assertTrue(rm.err().contains("Read-only file system"), rm.toString());
  }

  @Test
  void extendedAttributesAndStatfs() throws Exception {
    UserDefinedFileAttributeView v =
        Files.getFileAttributeView(mnt.resolve("hello"), UserDefinedFileAttributeView.class);
    assertEquals(List.of("test"), v.list());
    ByteBuffer b = ByteBuffer.allocate(v.size("test"));
    v.read("test", b);
    assertEquals("xattr-value", new String(b.array()));
    assertThrows(FileSystemException.class, () -> v.size("other"));
    Shell.Result df = Shell.run(10_000, "stat", "-f", "-c", "%S %b %l", mnt.toString());
    assertEquals("4096 1048576 255", df.out().strip(), df.toString());
  }
}
