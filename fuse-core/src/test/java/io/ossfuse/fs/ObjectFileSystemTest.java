package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.cache.BlockCache;
import io.ossfuse.store.MemoryObjectStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/*
 * Fixture (bucket "b", mounted directory "data/"):
 *
 *   data/                 marker object (skipped in listings)
 *   data/a.txt            "hello"
 *   data/big.bin          100 bytes, read with 16-byte blocks
 *   data/sub/             common prefix through data/sub/x
 *   data/sub/x            "x"
 *   data/empty/           zero-byte marker only: an empty directory
 *   data/dup              file named like the prefix data/dup/ : the file wins
 *   data/dup/y
 *   other/z               outside the mount
 */
class ObjectFileSystemTest {
  private MemoryObjectStore store;
  private FakeTicker ticker;
  private ObjectFileSystem fs;
  private final byte[] big = new byte[100];

  @BeforeEach
  void setUp() {
    new Random(1).nextBytes(big);
    store =
        new MemoryObjectStore("b")
            .put("data/", new byte[0])
            .put("data/a.txt", "hello")
            .put("data/big.bin", big)
            .put("data/sub/x", "x")
            .put("data/empty/", new byte[0])
            .put("data/dup", "file")
            .put("data/dup/y", "y")
            .put("other/z", "z");
    ticker = new FakeTicker();
    fs = build(FsOptions.defaults().withListPageSize(2));
  }

  private ObjectFileSystem build(FsOptions options) {
    return ObjectFileSystem.builder(store)
        .prefix("data/")
        .cache(BlockCache.direct(16))
        .options(options.withReadaheadBlocks(0))
        .ticker(ticker)
        .build();
  }

  @AfterEach
  void tearDown() {
    fs.close();
  }

  private List<String> names(long ino) throws FsException {
    long fh = fs.opendir(ino);
    List<String> out = new ArrayList<>();
    fs.readdir(ino, fh, 0, e -> out.add(e.name()));
    fs.releasedir(ino, fh);
    return out;
  }

  @Test
  void rootIsADirectoryWithOptionsApplied() throws Exception {
    fs.close();
    fs = build(FsOptions.defaults().withOwner(1000, 2000).withUmask(0027));
    FileAttr root = fs.getattr(ReadOnlyFileSystem.ROOT_INO);
    assertEquals(FileType.DIRECTORY, root.type());
    assertEquals(0550, root.perm());
    assertEquals(1000, root.uid());
    assertEquals(2000, root.gid());
    FileAttr a = fs.lookup(1, "a.txt");
    assertEquals(0440, a.perm());
    assertEquals(0100440, a.mode());
    assertEquals(5, a.size());
  }

  @Test
  void lookupFindsFilesPrefixesAndMarkers() throws Exception {
    assertEquals(FileType.REGULAR, fs.lookup(1, "a.txt").type());
    assertEquals(FileType.DIRECTORY, fs.lookup(1, "sub").type());
    assertEquals(FileType.DIRECTORY, fs.lookup(1, "empty").type());
    assertEquals(
        FileType.REGULAR, fs.lookup(1, "dup").type(), "a file shadows a prefix of the same name");
    FsException e = assertThrows(FsException.class, () -> fs.lookup(1, "nope"));
    assertEquals(Errno.ENOENT, e.errno());
    long sub = fs.lookup(1, "sub").ino();
    assertEquals("x", new String(readAll(fs.lookup(sub, "x").ino()), StandardCharsets.UTF_8));
    assertThrows(
        FsException.class, () -> fs.lookup(1, "z"), "keys outside the prefix are invisible");
  }

  @Test
  void lookupOfAFileCostsOneHeadAndADirectoryAHeadAndAListing() throws Exception {
    store.resetCounters();
    fs.lookup(1, "a.txt");
    assertEquals(1, store.headCalls());
    assertEquals(0, store.listCalls());
    fs.lookup(1, "sub");
    assertEquals(2, store.headCalls());
    assertEquals(1, store.listCalls());
    fs.lookup(1, "sub");
    fs.getattr(fs.lookup(1, "a.txt").ino());
    assertEquals(2, store.headCalls(), "cached");
  }

  @Test
  void readdirMergesPagesSkipsOwnMarkerAndDedups() throws Exception {
    assertEquals(List.of(".", "..", "a.txt", "big.bin", "dup", "empty", "sub"), names(1));
    long empty = fs.lookup(1, "empty").ino();
    assertEquals(List.of(".", ".."), names(empty));
  }

  @Test
  void readdirFillsTheMetadataCacheSoStatCostsNoRequests() throws Exception {
    names(1);
    store.resetCounters();
    for (String n : List.of("a.txt", "big.bin", "dup", "empty", "sub")) fs.lookup(1, n);
    assertEquals(0, store.headCalls() + store.listCalls());
    assertEquals(100, fs.lookup(1, "big.bin").size());
  }

  @Test
  void theNextListingPageIsRequestedBeforeReaddirNeedsIt() throws Exception {
    long fh = fs.opendir(1);
    List<String> first = new ArrayList<>();
    // "a.txt" (page 1) is refused: readdir stops there, having needed page 1 only
    fs.readdir(1, fh, 0, e -> first.size() < 2 && first.add(e.name()));
    assertEquals(List.of(".", ".."), first);
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (store.listCalls() < 2 && System.nanoTime() < deadline) Thread.sleep(10);
    assertEquals(
        2, store.listCalls(), "page 2 of 2 keys requested while page 1 is read, and no further");
    List<String> rest = new ArrayList<>();
    fs.readdir(1, fh, 2, e -> rest.add(e.name()));
    assertEquals(List.of("a.txt", "big.bin", "dup", "empty", "sub"), rest);
    assertEquals(4, store.listCalls(), "every page once");
    fs.releasedir(1, fh);
  }

  @Test
  void readdirOffsetsAreStableAcrossCallsAndWithoutAHandle() throws Exception {
    long fh = fs.opendir(1);
    List<DirEntry> first = new ArrayList<>();
    fs.readdir(1, fh, 0, e -> first.size() < 3 && first.add(e));
    assertEquals(3, first.size());
    List<String> rest = new ArrayList<>();
    fs.readdir(1, fh, first.get(2).nextOffset(), e -> rest.add(e.name()));
    assertEquals(List.of("big.bin", "dup", "empty", "sub"), rest);
    fs.releasedir(1, fh);
    List<String> noHandle = new ArrayList<>();
    fs.readdir(1, 999, 4, e -> noHandle.add(e.name()));
    assertEquals(List.of("dup", "empty", "sub"), noHandle);
  }

  @Test
  void readdirSnapshotIsNotDisturbedByChanges() throws Exception {
    long fh = fs.opendir(1);
    List<String> part = new ArrayList<>();
    fs.readdir(1, fh, 0, e -> part.size() < 4 && part.add(e.name()));
    store.put("data/aa-new", "n");
    List<String> rest = new ArrayList<>();
    fs.readdir(1, fh, 4, e -> rest.add(e.name()));
    assertEquals(List.of(".", "..", "a.txt", "big.bin"), part);
    assertEquals(List.of("dup", "empty", "sub"), rest);
  }

  @Test
  void aCompleteListingIsReusedWithinTheTtlAndAnswersNegativeLookups() throws Exception {
    names(1);
    store.resetCounters();
    assertEquals(List.of(".", "..", "a.txt", "big.bin", "dup", "empty", "sub"), names(1));
    assertEquals(
        Errno.ENOENT, assertThrows(FsException.class, () -> fs.lookup(1, "missing")).errno());
    assertEquals(0, store.listCalls() + store.headCalls(), "served from the cached listing");
    store.put("data/new", "n");
    ticker.advance(FsOptions.DEFAULT_METADATA_TTL.plusSeconds(1));
    assertTrue(names(1).contains("new"));
    assertEquals(4, store.listCalls(), "listed again after the TTL (4 pages of 2)");
  }

  @Test
  void tenThousandEntriesArePagedThroughInOrder() throws Exception {
    for (int i = 0; i < 10_000; i++) store.put(String.format("data/many/f%05d", i), new byte[0]);
    fs.close();
    fs = build(FsOptions.defaults());
    long many = fs.lookup(1, "many").ino();
    store.resetCounters();
    List<String> names = names(many);
    assertEquals(10_002, names.size());
    assertEquals("f00000", names.get(2));
    assertEquals("f09999", names.get(10_001));
    assertEquals(10, store.listCalls(), "1000 keys per page");
    java.util.Set<Long> inos = new java.util.HashSet<>();
    fs.readdir(many, 0, 2, e -> inos.add(e.attr().ino()));
    assertEquals(10_000, inos.size(), "distinct inode numbers");
  }

  @Test
  void negativeEntriesExpireAfterTheirTtl() throws Exception {
    fs.close();
    fs = build(FsOptions.defaults().withTtls(Duration.ofSeconds(30), Duration.ofSeconds(5)));
    assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs.lookup(1, "late")).errno());
    store.put("data/late", "now here");
    store.resetCounters();
    assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs.lookup(1, "late")).errno());
    assertEquals(0, store.headCalls(), "the negative entry answered");
    ticker.advance(Duration.ofSeconds(6));
    assertEquals(8, fs.lookup(1, "late").size());
  }

  @Test
  void positiveEntriesExpireAfterTheirTtl() throws Exception {
    fs.close();
    fs = build(FsOptions.defaults().withTtls(Duration.ofSeconds(30), Duration.ofSeconds(5)));
    assertEquals(5, fs.lookup(1, "a.txt").size());
    store.put("data/a.txt", "hello world");
    assertEquals(5, fs.lookup(1, "a.txt").size());
    ticker.advance(Duration.ofSeconds(31));
    assertEquals(11, fs.lookup(1, "a.txt").size());
  }

  @Test
  void readsAcrossBlocksReturnExactBytes() throws Exception {
    long ino = fs.lookup(1, "big.bin").ino();
    long fh = fs.open(ino, 0).fh();
    Random r = new Random(7);
    for (int i = 0; i < 200; i++) {
      int off = r.nextInt(110);
      int len = r.nextInt(50);
      ByteBuffer dst = ByteBuffer.allocate(len);
      int n = fs.read(ino, fh, off, dst);
      int expect = Math.max(0, Math.min(len, 100 - off));
      assertEquals(expect, n);
      assertEquals(expect, dst.position());
      for (int j = 0; j < n; j++) assertEquals(big[off + j], dst.get(j));
    }
    fs.release(ino, fh);
  }

  @Test
  void aChangedObjectFailsTheOpenHandleWithEioAndANewOpenSeesNewData() throws Exception {
    names(1); // the cached listing must not resurrect the old version either
    long ino = fs.lookup(1, "a.txt").ino();
    long fh = fs.open(ino, 0).fh();
    store.put("data/a.txt", "HELLO, changed");
    FsException e =
        assertThrows(FsException.class, () -> fs.read(ino, fh, 0, ByteBuffer.allocate(5)));
    assertEquals(Errno.EIO, e.errno());
    long fh2 = fs.open(ino, 0).fh();
    assertEquals(14, fs.getattr(ino).size(), "metadata refreshed at once");
    assertEquals("HELLO, changed", new String(readAll(ino), StandardCharsets.UTF_8));
    fs.release(ino, fh);
    fs.release(ino, fh2);
  }

  @Test
  void anOpenOfAnotherVersionDropsThePageCacheOrBypassesItWhileTheOldVersionIsOpen()
      throws Exception {
    long ino = fs.lookup(1, "a.txt").ino();
    OpenFile first = fs.open(ino, 0);
    assertEquals(
        OpenFile.PageCache.DROP, first.pageCache(), "what the kernel holds from before is unknown");
    OpenFile same = fs.open(ino, 0);
    assertEquals(OpenFile.PageCache.KEEP, same.pageCache(), "same version: keep the pages");
    fs.release(ino, same.fh());

    store.put("data/a.txt", "HELLO, changed");
    assertThrows(
        FsException.class, () -> fs.read(ino, first.fh(), 0, ByteBuffer.allocate(5))); // refreshes
    OpenFile other = fs.open(ino, 0);
    assertEquals(
        OpenFile.PageCache.BYPASS,
        other.pageCache(),
        "the old version is still read through the cache");
    assertEquals(14, other.attr().size());
    ByteBuffer b = ByteBuffer.allocate(14);
    assertEquals(14, fs.read(ino, other.fh(), 0, b));
    assertEquals("HELLO, changed", new String(b.array(), StandardCharsets.UTF_8));
    fs.release(ino, other.fh());

    fs.release(ino, first.fh());
    OpenFile next = fs.open(ino, 0);
    assertEquals(
        OpenFile.PageCache.DROP,
        next.pageCache(),
        "nobody reads the old pages any more: drop them");
    assertEquals(OpenFile.PageCache.KEEP, fs.open(ino, 0).pageCache());
  }

  @Test
  void aForgottenInodeIsOfUnknownVersionAgain() throws Exception {
    long ino = fs.lookup(1, "a.txt").ino();
    fs.release(ino, fs.open(ino, 0).fh());
    OpenFile kept = fs.open(ino, 0);
    assertEquals(OpenFile.PageCache.KEEP, kept.pageCache());
    fs.release(ino, kept.fh());
    fs.forget(ino, 1); // the kernel evicted the inode, and its pages
    long again = fs.lookup(1, "a.txt").ino();
    assertEquals(OpenFile.PageCache.DROP, fs.open(again, 0).pageCache());
  }

  @Test
  void keysThatCannotBeServedAreNeitherListedNorFound() throws Exception {
    String seg = "s".repeat(250);
    String longDir = seg + "/" + seg + "/" + seg + "/" + seg; // 1,003 bytes of path, under "data/"
    store
        .put("data/odd/bad\uDCFF", "not UTF-8 in the bucket") // a byte the store could not decode
        .put("data/odd/ok\uFFFD", "a real U+FFFD")
        .put("data/odd/" + longDir + "/fits.txt", "1,023 bytes of key at most") // 1,022 bytes
        .put("data/odd/" + longDir + "/too-long.txt", "1,026 bytes of key")
        .put("data/odd/" + longDir + "/toolongdir/x", "under a prefix that no key can fit")
        .put("data/odd/a//b", "an empty segment")
        .put("data/odd/" + "x".repeat(256), "a name over 255 bytes");
    long odd = fs.lookup(1, "odd").ino();
    assertEquals(
        List.of(".", "..", "a", "ok\uFFFD", seg), names(odd), "only servable keys are listed");
    assertEquals(
        List.of(".", ".."), names(fs.lookup(odd, "a").ino()), "a//b: an empty name is skipped");
    assertEquals(
        Errno.ENOENT, assertThrows(FsException.class, () -> fs.lookup(odd, "bad\uDCFF")).errno());
    assertEquals(
        Errno.ENOENT,
        assertThrows(FsException.class, () -> fs.lookup(odd, "bad\uFFFD")).errno(),
        "the name the kernel would send for it is another key");
    assertEquals(
        "a real U+FFFD",
        new String(readAll(fs.lookup(odd, "ok\uFFFD").ino()), StandardCharsets.UTF_8));
    long dir = odd;
    for (String part : longDir.split("/")) dir = fs.lookup(dir, part).ino();
    assertEquals(List.of(".", "..", "fits.txt"), names(dir));
    long last = dir;
    assertEquals(26, fs.lookup(last, "fits.txt").size());
    store.resetCounters();
    assertEquals(
        Errno.ENOENT,
        assertThrows(FsException.class, () -> fs.lookup(last, "too-long.txt")).errno());
    assertEquals(
        Errno.ENOENT, assertThrows(FsException.class, () -> fs.lookup(last, "toolongdir")).errno());
    assertEquals(
        0, store.headCalls() + store.listCalls(), "no request for a key the SDK would refuse");
  }

  @Test
  void writeAccessIsRefusedWithErofsAndDirectoriesWithEisdir() throws Exception {
    long ino = fs.lookup(1, "a.txt").ino();
    for (int flags : new int[] {01, 02, 01000, 0100 | 01}) {
      assertEquals(Errno.EROFS, assertThrows(FsException.class, () -> fs.open(ino, flags)).errno());
    }
    long sub = fs.lookup(1, "sub").ino();
    assertEquals(Errno.EISDIR, assertThrows(FsException.class, () -> fs.open(sub, 0)).errno());
    assertEquals(Errno.ENOTDIR, assertThrows(FsException.class, () -> fs.opendir(ino)).errno());
  }

  @Test
  void smallFilePrefetchFillsAKeepingCacheWithinItsQuarterAndSkipsOneThatKeepsNothing()
      throws Exception {
    fs.close();
    fs = build(FsOptions.defaults().withPrefetchSmallFiles(10));
    names(1);
    assertEquals(0, store.readCalls(), "the direct cache keeps nothing: no prefetch into it");
    fs.close();
    // the filesystem's own in-heap cache: a quarter of it is far more than these few bytes
    fs =
        ObjectFileSystem.builder(store)
            .prefix("data/")
            .options(FsOptions.defaults().withPrefetchSmallFiles(10))
            .ticker(ticker)
            .build();
    store.resetCounters();
    names(1);
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (store.readCalls() < 3 && System.nanoTime() < deadline) Thread.sleep(10);
    assertEquals(
        3, store.readCalls(), "a.txt, big.bin and dup: the files of the listing, not sub/x");
    store.resetCounters();
    long a = fs.lookup(1, "a.txt").ino();
    long fh = fs.open(a, 0).fh();
    ByteBuffer b = ByteBuffer.allocate(16);
    assertEquals(5, fs.read(a, fh, 0, b));
    assertEquals(0, store.readCalls(), "read from the prefetched block");
  }

  @Test
  void namesOutsideTheUserNamespaceAreNotSupportedRatherThanAbsent() throws Exception {
    long ino = fs.lookup(1, "a.txt").ino();
    assertEquals(
        Errno.EOPNOTSUPP,
        assertThrows(FsException.class, () -> fs.getxattr(ino, "security.selinux")).errno());
    assertEquals(
        Errno.EOPNOTSUPP,
        assertThrows(FsException.class, () -> fs.getxattr(1, "system.posix_acl_access")).errno());
  }

  @Test
  void xattrsExposeEtagAndKey() throws Exception {
    long ino = fs.lookup(1, "a.txt").ino();
    String etag = store.head("data/a.txt").orElseThrow().etag();
    assertEquals(etag, new String(fs.getxattr(ino, "user.oss.etag"), StandardCharsets.UTF_8));
    assertEquals(
        "data/a.txt", new String(fs.getxattr(ino, "user.oss.key"), StandardCharsets.UTF_8));
    assertEquals(List.of("user.oss.etag", "user.oss.key"), fs.listxattr(ino));
    assertEquals(
        Errno.ENODATA,
        assertThrows(FsException.class, () -> fs.getxattr(ino, "user.other")).errno());
  }

  @Test
  void inodeNumbersAreStableAndForgetDropsThem() throws Exception {
    long a1 = fs.lookup(1, "a.txt").ino();
    long a2 = fs.lookup(1, "a.txt").ino();
    assertEquals(a1, a2);
    assertNotEquals(a1, fs.lookup(1, "sub").ino());
    fs.forget(a1, 1);
    assertEquals(5, fs.getattr(a1).size(), "one reference left");
    fs.forget(a1, 1);
    assertEquals(Errno.ESTALE, assertThrows(FsException.class, () -> fs.getattr(a1)).errno());
  }

  @Test
  void aNewFilesystemOverTheSameStateDirServesTheKernelsInodeNumbers(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path state) throws Exception {
    long sub, x, big, bigFh, aFh;
    try (InodeTable t = InodeTable.persistent(state, 0);
        ObjectFileSystem a = ObjectFileSystem.builder(store).prefix("data/").inodes(t).build()) {
      sub = a.lookup(1, "sub").ino();
      x = a.lookup(sub, "x").ino();
      big = a.lookup(1, "big.bin").ino();
      bigFh = a.open(big, 0).fh();
      aFh = a.open(a.lookup(1, "a.txt").ino(), 0).fh();
    }
    store.put("data/a.txt", "changed while no process served");
    // A new process: no lookups yet, but the kernel still holds sub, x and big.bin.
    try (InodeTable t = InodeTable.persistent(state, 0);
        ObjectFileSystem b = ObjectFileSystem.builder(store).prefix("data/").inodes(t).build()) {
      assertEquals(FileType.DIRECTORY, b.getattr(sub).type());
      assertEquals(1, b.getattr(x).size());
      assertEquals(100, b.getattr(big).size());
      ByteBuffer dst = ByteBuffer.allocate(10);
      assertEquals(10, b.read(big, bigFh, 90, dst), "a handle of the old process still reads");
      assertEquals(ByteBuffer.wrap(this.big, 90, 10), dst.flip());
      long aIno = b.lookup(1, "a.txt").ino();
      assertEquals(
          Errno.EIO,
          assertThrows(FsException.class, () -> b.read(aIno, aFh, 0, ByteBuffer.allocate(5)))
              .errno(),
          "a handle opened at the old version does not read the new one");
      assertEquals(x, b.lookup(sub, "x").ino());
      assertNotEquals(x, b.lookup(1, "a.txt").ino());
    }
  }

  @Test
  void statfsIsReadOnlyAndFull() {
    StatFs s = fs.statfs();
    assertEquals(0, s.blocksFree());
    assertEquals(255, s.nameMax());
  }

  private byte[] readAll(long ino) throws FsException {
    long fh = fs.open(ino, 0).fh();
    long size = fs.getattr(ino).size();
    ByteBuffer b = ByteBuffer.allocate((int) size);
    while (b.hasRemaining()) {
      if (fs.read(ino, fh, b.position(), b) == 0) break;
    }
    fs.release(ino, fh);
    return b.array();
  }
}
