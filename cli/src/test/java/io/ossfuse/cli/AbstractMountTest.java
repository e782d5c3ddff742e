package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.SampleDataset;
import io.ossfuse.mount.ServedMount;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The end-to-end contract of a mount, independent of the FUSE transport: a subclass names the
 * transport. Starts the local OSS endpoint with the sample dataset plus a 10,000-entry directory,
 * mounts through the CLI's own path (MountCommand options → ServedMount, as {@code ossfuse mount
 * --foreground} does) and compares what the kernel shows with the source directory.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractMountTest {
  static final String BUCKET = "itest";
  static final int MANY = 10_000;

  protected Path work;
  protected LocalOssServer server;
  protected Path bucketDir;
  protected Path mnt;
  protected ServedMount mount;

  /** The FUSE transport under test, as named in FuseTransports. */
  protected abstract String transport();

  /**
   * More {@code ossfuse mount} arguments (e.g. a tiered store); {@code work} is this run's temp
   * dir.
   */
  protected List<String> extraMountArgs(Path work) throws IOException {
    return List.of();
  }

  @BeforeAll
  void mountIt() throws Exception {
    work = Files.createTempDirectory("ossfuse-it-");
    server = LocalOssServer.builder().root(work.resolve("oss")).bucket(BUCKET).build().start();
    bucketDir = server.bucketDir(BUCKET);
    SampleDataset.generate(bucketDir, 64L << 20, 50);
    Path many = Files.createDirectories(bucketDir.resolve("many"));
    for (int i = 0; i < MANY; i++)
      Files.write(many.resolve(String.format("f%05d", i)), new byte[0]);
    Files.createDirectories(bucketDir.resolve("nested/empty-leaf"));
    Files.writeString(bucketDir.resolve("nested/x y %20 ü.txt"), "odd name");
    mnt = Files.createDirectories(work.resolve("mnt"));
    List<String> more =
        new ArrayList<>(
            List.of(
                "-o",
                "uid=1234,gid=4321,umask=022",
                "--state-dir",
                work.resolve("state").toString(),
                "--transport",
                transport()));
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
  void theKernelShowsAReadOnlyOssfuseMount() throws IOException {
    MountInfo.Entry e = MountInfo.find(mnt).orElseThrow();
    assertEquals("fuse.ossfuse", e.fsType());
    assertEquals("ossfuse:" + BUCKET, e.source());
    assertTrue(List.of(e.options().split(",")).contains("ro"), e.options());
  }

  @Test
  void everyDirectoryAndFileMatchesTheSourceBySha256() throws IOException {
    TreeCheck.Result r = TreeCheck.compare(bucketDir, mnt);
    assertEquals(List.of(), r.problems());
    assertTrue(r.files() > MANY + 50, "files compared: " + r.files());
    assertTrue(r.bytes() >= 64L << 20);
  }

  @Test
  void aTenThousandEntryDirectoryListsCompletelyInOrder() throws IOException {
    List<String> names;
    try (Stream<Path> s = Files.list(mnt.resolve("many"))) {
      names = s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
    assertEquals(MANY, names.size());
    assertEquals("f00000", names.get(0));
    assertEquals("f09999", names.get(MANY - 1));
    Process ls =
        new ProcessBuilder("ls", "-f", mnt.resolve("many").toString())
            .redirectErrorStream(true)
            .start();
    long lines =
        new String(ls.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().count();
    assertEquals(MANY + 2, lines, "ls -f shows . and .. and every entry once");
  }

  @Test
  void oddNamesEmptyDirsAndNestingAreVisible() throws IOException {
    for (String k : SampleDataset.WEIRD_KEYS) {
      assertEquals(Files.readString(bucketDir.resolve(k)), Files.readString(mnt.resolve(k)), k);
    }
    assertEquals("odd name", Files.readString(mnt.resolve("nested/x y %20 ü.txt")));
    assertTrue(Files.isDirectory(mnt.resolve("empty-dir")));
    assertTrue(Files.isDirectory(mnt.resolve("nested/empty-leaf")));
    try (Stream<Path> s = Files.list(mnt.resolve("empty-dir"))) {
      assertEquals(0, s.count());
    }
    assertTrue(Files.isRegularFile(mnt.resolve("nested/a/b/c/deep.txt")));
    assertFalse(Files.exists(mnt.resolve("nested/nope")));
  }

  @Test
  void attributesComeFromOptionsAndObjects() throws IOException {
    Path f = mnt.resolve("README.txt");
    assertEquals(1234, Files.getAttribute(f, "unix:uid"));
    assertEquals(4321, Files.getAttribute(f, "unix:gid"));
    assertEquals(0100444, Files.getAttribute(f, "unix:mode"));
    assertEquals(040555, Files.getAttribute(mnt.resolve("nested"), "unix:mode"));
    assertEquals(Files.size(bucketDir.resolve("README.txt")), Files.size(f));
    long srcMtime = Files.getLastModifiedTime(bucketDir.resolve("README.txt")).toMillis() / 1000;
    assertEquals(
        srcMtime, Files.getLastModifiedTime(f).toMillis() / 1000, "mtime from Last-Modified");
    Object ino1 = Files.getAttribute(f, "unix:ino");
    assertEquals(ino1, Files.getAttribute(f, "unix:ino"), "stable inode number");
  }

  @Test
  void randomRangeReadsOfTheLargeObjectAreExact() throws IOException {
    Path big = mnt.resolve(SampleDataset.LARGE_FILE_KEY);
    long size = Files.size(big);
    assertEquals(64L << 20, size);
    Random r = new Random(42);
    try (FileChannel ch = FileChannel.open(big, StandardOpenOption.READ)) {
      for (int i = 0; i < 300; i++) {
        long off = (long) (r.nextDouble() * size);
        int len = 1 + r.nextInt(i % 10 == 0 ? 3 << 20 : 70_000);
        ByteBuffer b = ByteBuffer.allocate(len);
        int n = 0;
        while (b.hasRemaining()) {
          int k = ch.read(b, off + n);
          if (k < 0) break;
          n += k;
        }
        assertEquals(Math.min(len, size - off), n, "bytes at " + off);
        for (int j = 0; j < n; j++) {
          if (b.get(j) != SampleDataset.byteAt(off + j)) fail("byte " + (off + j) + " differs");
        }
      }
    }
  }

  @Test
  void etagXattrIsExposed() throws IOException {
    UserDefinedFileAttributeView v =
        Files.getFileAttributeView(mnt.resolve("README.txt"), UserDefinedFileAttributeView.class);
    assertTrue(v.list().contains("oss.etag"), v.list().toString());
    ByteBuffer b = ByteBuffer.allocate(v.size("oss.etag"));
    v.read("oss.etag", b);
    String etag = new String(b.array(), StandardCharsets.UTF_8);
    assertTrue(etag.matches("[0-9A-Fa-f]{32}"), etag);
  }

  @Test
  void writesFailWithErofs() throws Exception {
    Path f = mnt.resolve("README.txt");
    assertErofs(() -> Files.createFile(mnt.resolve("new.txt")));
    assertErofs(() -> Files.createDirectory(mnt.resolve("newdir")));
    assertErofs(() -> Files.delete(f));
    assertErofs(() -> FileChannel.open(f, StandardOpenOption.WRITE).close());
    assertErofs(() -> Files.move(f, mnt.resolve("moved.txt")));
    for (List<String> cmd :
        List.of(
            List.of("touch", mnt.resolve("t").toString()),
            List.of("touch", f.toString()),
            List.of("mkdir", mnt.resolve("d").toString()),
            List.of("rm", "-f", f.toString()),
            List.of("sh", "-c", "echo x >> '" + f + "'"))) {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertNotEquals(0, p.waitFor(), cmd + " succeeded");
      assertTrue(out.contains("Read-only file system"), cmd + ": " + out);
    }
    assertEquals(Files.readString(bucketDir.resolve("README.txt")), Files.readString(f));
  }

  interface IoAction {
    void run() throws IOException;
  }

  static void assertErofs(IoAction a) {
    FileSystemException e = assertThrows(FileSystemException.class, a::run);
    assertTrue(String.valueOf(e.getReason()).contains("Read-only file system"), e.toString());
  }

  @Test
  void statfsReportsAReadOnlyFileStore() throws IOException {
    var store = Files.getFileStore(mnt);
    assertTrue(store.isReadOnly());
    assertEquals(0, store.getUsableSpace());
  }

  @Test
  void concurrentReadersSeeTheSameBytes() throws Exception {
    Path big = mnt.resolve(SampleDataset.LARGE_FILE_KEY);
    String expect = TreeCheck.sha256(bucketDir.resolve(SampleDataset.LARGE_FILE_KEY));
    List<Thread> ts = new ArrayList<>();
    List<String> got = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < 4; i++) {
      Thread t =
          new Thread(
              () -> {
                try {
                  got.add(TreeCheck.sha256(big));
                } catch (IOException e) {
                  got.add(e.toString());
                }
              });
      t.start();
      ts.add(t);
    }
    for (Thread t : ts) t.join();
    assertEquals(List.of(expect, expect, expect, expect), got);
  }
}
