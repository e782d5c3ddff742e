package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.ServedMount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Small files and listings through real mounts (raw transport) of one local-oss bucket: one mount
 * with {@code -o prefetch_small_files=N}, one without. Requests are counted by the endpoint.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmallFilesMountTest {
  static final String BUCKET = "stest";
  static final int SMALL = 40, SMALL_BYTES = 16 << 10, PREFETCH = 30;

  private Path work;
  private LocalOssServer server;
  private Path withPrefetch, without;
  private ServedMount prefetching, plain;
  private final List<byte[]> contents = new ArrayList<>();
  private final List<byte[]> dContents = new ArrayList<>();

  /** SmallFilePrefetch.AHEAD: files fetched ahead of a reader going through a listing in order. */
  static final int AHEAD = 16;

  @BeforeAll
  void mountIt() throws Exception {
    work = Files.createTempDirectory("ossfuse-small-");
    server = LocalOssServer.builder().root(work.resolve("oss")).bucket(BUCKET).build().start();
    Path bucket = server.bucketDir(BUCKET);
    Random r = new Random(5);
    for (String dir : List.of("a", "b", "c", "d", "e")) {
      Files.createDirectories(bucket.resolve(dir));
      for (int i = 0; i < SMALL; i++) {
        byte[] b = new byte[SMALL_BYTES];
        r.nextBytes(b);
        if (dir.equals("a")) contents.add(b);
        if (dir.equals("d")) dContents.add(b);
        Files.write(bucket.resolve(dir).resolve(name(i)), b);
      }
      Files.write(bucket.resolve(dir).resolve("zz-big.bin"), new byte[(2 << 20) + 1]);
    }
    Path creds = MountFixtures.creds(server, work);
    withPrefetch = Files.createDirectories(work.resolve("mnt-prefetch"));
    without = Files.createDirectories(work.resolve("mnt"));
    prefetching = mount(withPrefetch, creds, "-o", "prefetch_small_files=" + PREFETCH);
    plain = mount(without, creds);
  }

  private ServedMount mount(Path mnt, Path creds, String... more) throws Exception {
    List<String> args = new ArrayList<>(List.of("--transport", "raw"));
    args.addAll(Arrays.asList(more));
    return MountFixtures.mount(server, BUCKET, mnt, creds, args.toArray(String[]::new));
  }

  private static String name(int i) {
    return String.format("f%03d.bin", i);
  }

  @AfterAll
  void unmountIt() throws Exception {
    try {
      MountFixtures.tearDown(prefetching, withPrefetch, null, null);
    } finally {
      MountFixtures.tearDown(plain, without, server, work);
    }
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private long getsOf(String dir, int from, int to) {
    long n = 0;
    for (int i = from; i < to; i++) n += server.counters().gets(dir + "/" + name(i));
    return n;
  }

  @Test
  void aListedDirectorysFirstSmallFilesArePrefetchedAndThenReadWithoutRequests() throws Exception {
    assertEquals(SMALL + 1, list(withPrefetch.resolve("a")).size());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (getsOf("a", 0, PREFETCH) < PREFETCH && System.nanoTime() < deadline) Thread.sleep(20);
    assertEquals(
        PREFETCH,
        getsOf("a", 0, PREFETCH),
        "each of the first N small files fetched once, nobody reading");
    assertEquals(0, getsOf("a", PREFETCH, SMALL), "no more than N files of a listing");
    long requests = server.counters().requests();
    for (int i = 0; i < PREFETCH; i++) {
      assertArrayEquals(
          contents.get(i), Files.readAllBytes(withPrefetch.resolve("a").resolve(name(i))), name(i));
    }
    // read in listing order, so the files after them are fetched ahead of the reader
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (getsOf("a", PREFETCH, SMALL) < SMALL - PREFETCH && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(PREFETCH, getsOf("a", 0, PREFETCH), "prefetched files are read from the cache");
    assertEquals(
        requests + SMALL - PREFETCH,
        server.counters().requests(),
        "no requests but the GETs of the files fetched ahead");
    assertEquals(0, server.counters().gets("a/zz-big.bin"), "files over 1 MiB are not prefetched");
    // the files past N are served as usual
    assertArrayEquals(
        contents.get(SMALL - 1),
        Files.readAllBytes(withPrefetch.resolve("a").resolve(name(SMALL - 1))));
  }

  @Test
  void withoutTheOptionAListingFetchesNoObject() throws Exception {
    long gets = server.counters().gets();
    assertEquals(SMALL + 1, list(without.resolve("b")).size());
    // the prefetching mount lists too, so there is an event to wait for: its fetches of "c" end
    assertEquals(SMALL + 1, list(withPrefetch.resolve("c")).size());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (getsOf("c", 0, PREFETCH) < PREFETCH && System.nanoTime() < deadline) Thread.sleep(20);
    assertEquals(PREFETCH, getsOf("c", 0, PREFETCH));
    assertEquals(0, getsOf("b", 0, SMALL), "the plain mount fetched nothing of what it listed");
    assertEquals(gets + PREFETCH, server.counters().gets());
  }

  /**
   * Without the option too: a reader that opens a listed directory's files in listing order gets
   * the next {@link #AHEAD} small files fetched ahead of it, each once; one that opens them out of
   * order gets nothing fetched ahead (docs/SEMANTICS.md, "Small files and listings").
   */
  @Test
  void filesOpenedInListingOrderAreFetchedAheadOfTheReader() throws Exception {
    assertEquals(SMALL + 1, list(without.resolve("e")).size());
    for (int i : new int[] {SMALL - 1, 5, SMALL - 2, 20}) {
      Files.readAllBytes(without.resolve("e").resolve(name(i)));
    }
    assertEquals(SMALL + 1, list(without.resolve("d")).size());
    int read = 5;
    for (int i = 0; i < read; i++) {
      assertArrayEquals(
          dContents.get(i), Files.readAllBytes(without.resolve("d").resolve(name(i))), name(i));
    }
    // opened f000..f004 in order: f005..f020 come ahead, nothing further
    int aheadTo = read - 1 + AHEAD;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (getsOf("d", read, aheadTo + 1) < aheadTo + 1 - read && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(aheadTo + 1 - read, getsOf("d", read, aheadTo + 1), "fetched ahead, each once");
    assertEquals(0, getsOf("d", aheadTo + 1, SMALL), "no further than the window");
    assertEquals(4, getsOf("e", 0, SMALL), "opened out of order: only the files opened");
    long requests = server.counters().requests();
    assertArrayEquals(
        dContents.get(read), Files.readAllBytes(without.resolve("d").resolve(name(read))));
    // the next file came from the cache; the window moved on by one file
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (server.counters().gets("d/" + name(aheadTo + 1)) < 1 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(1, server.counters().gets("d/" + name(aheadTo + 1)));
    assertEquals(requests + 1, server.counters().requests(), "only the window moved on");
  }

  /**
   * {@code ls -l} asks for every entry's SELinux label and POSIX ACL unless the filesystem answers
   * that it has none at all (EOPNOTSUPP: ls then stops asking on that device); ENODATA cost two
   * requests to the filesystem per entry.
   */
  @Test
  void lsLongAsksForSecurityAttributesOnceNotPerEntry() throws Exception {
    Path f = without.resolve("b").resolve(name(0));
    Process getfattr =
        new ProcessBuilder("getfattr", "-n", "security.selinux", f.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(getfattr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(getfattr.waitFor(30, TimeUnit.SECONDS));
    assertTrue(out.contains("Operation not supported"), out);
    // user.* attributes are still served
    var view =
        Files.getFileAttributeView(f, java.nio.file.attribute.UserDefinedFileAttributeView.class);
    java.nio.ByteBuffer key = java.nio.ByteBuffer.allocate(view.size("oss.key"));
    view.read("oss.key", key);
    assertEquals("b/" + name(0), new String(key.array(), StandardCharsets.UTF_8));

    assumeTrue(Files.isExecutable(Path.of("/usr/bin/strace")), "strace counts ls's xattr calls");
    Path trace = work.resolve("ls.trace");
    Process ls =
        new ProcessBuilder(
                "strace",
                "-f",
                "-e",
                "trace=getxattr,lgetxattr",
                "-o",
                trace.toString(),
                "ls",
                "-l",
                without.resolve("b").toString())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertTrue(ls.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, ls.exitValue());
    long calls = Files.readAllLines(trace).stream().filter(l -> l.contains("xattr(")).count();
    assertTrue(calls <= 4, "xattr calls of ls -l over " + (SMALL + 1) + " entries: " + calls);
  }
}
