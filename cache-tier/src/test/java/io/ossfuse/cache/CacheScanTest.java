package io.ossfuse.cache;

import static io.ossfuse.cache.TestBlocks.key;
import static io.ossfuse.cache.TestBlocks.levelYaml;
import static io.ossfuse.cache.TestBlocks.readAndCheck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A standby's listing of the cache taken while the active child owns it, and its takeover open. */
@ExtendWith(CacheInvariants.class)
class CacheScanTest {
  static final int BS = 64 * 1024;

  @TempDir Path dir;

  private TieredStoreConfig config() {
    return TieredStoreConfig.parse(
            "levels:\n"
                + levelYaml("MEM", dir.resolve("mem"), "1Mi", "0.9", "0.6")
                + levelYaml("SSD", dir.resolve("ssd"), "64Mi", "0.9", "0.7"))
        .withBlockSize(BS)
        .withPromotion(false);
  }

  /** Block directories' mtimes an hour back: their listings are not racy, so they can be reused. */
  private void ageDirectories() throws Exception {
    FileTime old = FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
    for (String level : List.of("mem", "ssd")) {
      try (DirectoryStream<Path> ds =
          Files.newDirectoryStream(dir.resolve(level).resolve("ossfuse.blocks"))) {
        for (Path d : ds) Files.setLastModifiedTime(d, old);
      }
    }
  }

  @Test
  void aStandbysPrescanPicksUpBlocksWrittenAfterItStarted() throws Exception {
    TestBlocks o = new TestBlocks(BS);
    List<BlockKey> keys = new ArrayList<>();
    CacheScan scan;
    try (TieredBlockCache active = TieredBlockCache.builder(config()).build()) {
      for (int i = 0; i < 30; i++) {
        keys.add(key("obj-01", i));
        readAndCheck(active, keys.get(i), o, BS, false);
      }
      ageDirectories();
      scan = CacheScan.of(config()); // while the active cache holds the lock: no fight over it
      for (int i = 30;
          i < 40;
          i++) { // written after the pre-scan; some older ones evicted from MEM
        keys.add(key("obj-02", i));
        readAndCheck(active, keys.get(i), o, BS, false);
      }
    }
    int relisted = scan.refresh(true);
    assertTrue(
        relisted > 0 && relisted < 512,
        "only the directories that changed are listed again: " + relisted);
    TieredBlockCache next =
        CacheInvariants.open(TieredBlockCache.builder(config()).prescanned(scan));
    assertEquals(40, next.stats().blocks(), "blocks from before and after the pre-scan");
    for (BlockKey k : keys) readAndCheck(next, k, o, BS, true);
    for (BlockKey k : keys) assertEquals(1, o.loadsOf(k), "served from the cache: " + k);
  }

  /** The block file of {@code k} wherever it is. */
  private Path fileOf(BlockKey k) throws Exception {
    BlockId id = BlockId.of(k, BS);
    for (String level : List.of("mem", "ssd")) {
      Path p =
          dir.resolve(level).resolve("ossfuse.blocks").resolve(id.dirName()).resolve(id.fileName());
      if (Files.exists(p)) return p;
    }
    throw new AssertionError("no block file of " + k);
  }

  @Test
  void theIndexBuiltAheadIsUpdatedWithWhatThePredecessorWroteAndEvictedBeforeItDied()
      throws Exception {
    TestBlocks o = new TestBlocks(BS);
    List<BlockKey> kept = new ArrayList<>();
    BlockKey dropped = key("obj-03", 0);
    CacheScan scan;
    try (TieredBlockCache active = TieredBlockCache.builder(config()).build()) {
      for (int i = 0; i < 20; i++) {
        kept.add(key("obj-01", i));
        readAndCheck(active, kept.get(i), o, BS, false);
      }
      readAndCheck(active, dropped, o, BS, false);
      ageDirectories();
      scan = CacheScan.of(config());
      assertEquals(21, scan.blocks(), "every block indexed ahead");
      // after the last refresh, before the death: one more written, one deleted
      active.invalidate(dropped.bucket(), dropped.objectKey());
      kept.add(key("obj-02", 0));
      readAndCheck(active, kept.get(20), o, BS, false);
    }
    scan.refresh(true); // woken: the predecessor writes no more
    assertEquals(21, scan.blocks(), "the delta: one block in, one out");
    TieredBlockCache next =
        CacheInvariants.open(TieredBlockCache.builder(config()).prescanned(scan));
    assertEquals(21, next.stats().blocks());
    for (BlockKey k : kept) readAndCheck(next, k, o, BS, true);
    for (BlockKey k : kept) assertEquals(1, o.loadsOf(k), "served from the cache: " + k);
    readAndCheck(next, dropped, o, BS, true);
    assertEquals(2, o.loadsOf(dropped), "a block deleted after the last refresh is not served");
  }

  @Test
  void aBlockDamagedAfterItWasIndexedIsNeverServed() throws Exception {
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 3);
    CacheScan scan;
    try (TieredBlockCache active = TieredBlockCache.builder(config()).build()) {
      readAndCheck(active, k, o, BS, false);
      ageDirectories();
      scan = CacheScan.of(config());
    }
    // the same size, other bytes: the directory does not change, so the index keeps the file
    Path f = fileOf(k);
    byte[] b = Files.readAllBytes(f);
    b[b.length - 1] ^= 0x5a;
    Files.write(f, b);
    scan.refresh(true);
    TieredBlockCache next =
        CacheInvariants.open(TieredBlockCache.builder(config()).prescanned(scan));
    readAndCheck(next, k, o, BS, true); // checked against its checksums on first read
    assertEquals(2, o.loadsOf(k), "the damaged block was fetched again");
  }

  @Test
  void strayFilesFoundAheadAreDeletedAtTheOpen() throws Exception {
    TestBlocks o = new TestBlocks(BS);
    BlockKey k = key("obj-01", 0);
    Path short1;
    Path elsewhere;
    try (TieredBlockCache active = TieredBlockCache.builder(config()).build()) {
      readAndCheck(active, k, o, BS, false);
      Path blocks = dir.resolve("ssd").resolve("ossfuse.blocks");
      BlockId id = BlockId.of(k, BS);
      short1 = blocks.resolve(id.dirName()).resolve(BlockId.of(key("obj-09", 0), BS).fileName());
      Files.write(short1, new byte[3]); // a block file too short for a header, in a wrong dir too
      String other = id.dirName().equals("00") ? "01" : "00";
      elsewhere = blocks.resolve(other).resolve(id.fileName());
      Files.copy(fileOf(k), elsewhere); // a block in a directory not its own
      ageDirectories();
    }
    CacheScan scan = CacheScan.of(config());
    scan.refresh(true);
    TieredBlockCache next =
        CacheInvariants.open(TieredBlockCache.builder(config()).prescanned(scan));
    assertTrue(!Files.exists(short1) && !Files.exists(elsewhere), "strays deleted");
    assertEquals(1, next.stats().blocks());
    readAndCheck(next, k, o, BS, true);
    assertEquals(1, o.loadsOf(k));
  }

  @Test
  void aTakeoverServesAtOnceAndTakesTheLockOnceItsPredecessorLetsGo() throws Exception {
    TestBlocks o = new TestBlocks(BS);
    TieredBlockCache first = TieredBlockCache.builder(config()).build();
    try {
      readAndCheck(first, key("obj-01", 0), o, BS, false);
      assertThrows(
          IllegalArgumentException.class,
          () -> TieredBlockCache.builder(config()).build(),
          "without a takeover, a held lock is refused at once");
      CompletableFuture<String> stillLocked = new CompletableFuture<>();
      TieredBlockCache second =
          CacheInvariants.open(
              TieredBlockCache.builder(config())
                  .takeoverLock(Duration.ofSeconds(60), stillLocked::complete));
      readAndCheck(second, key("obj-01", 0), o, BS, true); // serves before it holds the lock
      assertEquals(1, o.loadsOf(key("obj-01", 0)));
      first.close();
      // the lock is now the second's: a third open is refused
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        try {
          TieredBlockCache.builder(config()).build().close();
          first.close();
        } catch (IllegalArgumentException lockedBySecond) {
          break;
        }
        assertTrue(System.nanoTime() < deadline, "the second never took the lock");
        Thread.onSpinWait();
      }
      assertTrue(!stillLocked.isDone());
    } finally {
      first.close();
    }
  }

  @Test
  void aTakeoverSaysSoWhenTheLockIsNeverLetGo() throws Exception {
    try (TieredBlockCache first = TieredBlockCache.builder(config()).build()) {
      CompletableFuture<String> stillLocked = new CompletableFuture<>();
      CacheInvariants.open(
          TieredBlockCache.builder(config())
              .takeoverLock(Duration.ofMillis(200), stillLocked::complete));
      assertTrue(stillLocked.get(30, TimeUnit.SECONDS).contains("still locked by another process"));
    }
  }
}
