package io.ossfuse.cache;

import static io.ossfuse.cache.TestBlocks.key;
import static io.ossfuse.cache.TestBlocks.levelYaml;
import static io.ossfuse.cache.TestBlocks.readAndCheck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(CacheInvariants.class)
class RestartTest {
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

  @Test
  void aSecondInstanceServesTheBlocksButNotTornOrTruncatedOnes() throws Exception {
    TestBlocks o = new TestBlocks(BS);
    List<BlockKey> keys = new ArrayList<>();
    BlockKey truncated, zeroed;
    try (TieredBlockCache first = TieredBlockCache.builder(config()).build()) {
      for (int i = 0; i < 40; i++) {
        BlockKey k = key("obj-01", i);
        keys.add(k);
        readAndCheck(first, k, o, BS, false);
      }
      first.checkInvariants();
      assertTrue(first.stats().levels().get(1).blocks() > 0, "some blocks went down to SSD");
      truncated = keys.get(3);
      zeroed = keys.get(39);
      // a kill mid-write leaves a partial temp file ...
      Path tmpDir = first.fileOf(keys.get(0)).getParent().getParent().resolve("tmp");
      Files.write(tmpDir.resolve("w123.tmp"), new byte[1000]);
      // ... and (without fsync, after a power loss) a half-written block under its final name
      try (FileChannel ch = FileChannel.open(first.fileOf(truncated), StandardOpenOption.WRITE)) {
        ch.truncate(ch.size() / 2);
      }
      try (FileChannel ch = FileChannel.open(first.fileOf(zeroed), StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.allocate(5000), ch.size() - 5000); // right size, zeroed tail
      }
    }
    long loadsBefore = o.bytes.get();
    long t0 = System.nanoTime();
    TieredBlockCache second = CacheInvariants.open(TieredBlockCache.builder(config()));
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 10_000);
    assertEquals(40, second.stats().blocks(), "index rebuilt from the directories");
    try (Stream<Path> tmp = Files.list(dir.resolve("mem/ossfuse.blocks/tmp"))) {
      assertEquals(0, tmp.count(), "temp files removed at start");
    }
    for (BlockKey k : keys) readAndCheck(second, k, o, BS, true);
    for (BlockKey k : keys) {
      int expectedLoads = k.equals(truncated) || k.equals(zeroed) ? 2 : 1;
      assertEquals(expectedLoads, o.loadsOf(k), "loads of " + k);
    }
    assertEquals(2L * BS, o.bytes.get() - loadsBefore);
    assertEquals(2, second.stats().corruptBlocks());
  }

  @Test
  void lruOrderAfterRestartFollowsModificationTimes() throws Exception {
    TestBlocks o = new TestBlocks(BS);
    TieredStoreConfig single =
        TieredStoreConfig.parse(
                "levels:\n" + levelYaml("SSD", dir.resolve("ssd"), "64Mi", "0.9", "0.7"))
            .withBlockSize(BS);
    List<BlockKey> keys = new ArrayList<>();
    try (TieredBlockCache first = TieredBlockCache.builder(single).build()) {
      for (int i = 0; i < 5; i++) {
        keys.add(key("obj-01", i));
        readAndCheck(first, keys.get(i), o, BS, false);
      }
      long now = System.currentTimeMillis();
      int[] ageOrder = {3, 0, 4, 1, 2}; // oldest first
      for (int i = 0; i < ageOrder.length; i++) {
        Files.setLastModifiedTime(
            first.fileOf(keys.get(ageOrder[i])), FileTime.fromMillis(now - 100_000 + i * 1000L));
      }
    }
    TieredBlockCache second = CacheInvariants.open(TieredBlockCache.builder(single));
    assertEquals(
        List.of(3, 0, 4, 1, 2).stream().map(i -> BlockId.of(keys.get(i), BS)).toList(),
        second.lruOrder(0, 0));
  }

  @Test
  void blocksOfAnOlderEtagAreNotServedAfterRestart() throws Exception {
    TestBlocks o = new TestBlocks(BS);
    BlockKey v1 = new BlockKey("bucket", "obj-01", "etag-1", 0);
    BlockKey v2 = new BlockKey("bucket", "obj-01", "etag-2", 0);
    try (TieredBlockCache first = TieredBlockCache.builder(config()).build()) {
      readAndCheck(first, v1, o, BS, false);
    }
    TieredBlockCache second = CacheInvariants.open(TieredBlockCache.builder(config()));
    readAndCheck(second, v2, o, BS, false);
    assertEquals(1, o.loadsOf(v2));
    assertEquals(
        1, second.stats().blocks(), "the etag-1 block found at start was dropped for etag-2");
    assertEquals(0, second.levelOf(v2));
  }

  @Test
  void blocksCutWithAnotherBlockSizeAreNotServed() throws Exception {
    try (TieredBlockCache first = TieredBlockCache.builder(config()).build()) {
      TestBlocks o = new TestBlocks(BS);
      for (int i = 0; i < 4; i++) readAndCheck(first, key("obj-01", i), o, BS, false);
    }
    TieredBlockCache second =
        CacheInvariants.open(TieredBlockCache.builder(config()).blockSize(2 * BS));
    assertEquals(4, second.stats().blocks());
    TestBlocks o2 = new TestBlocks(2 * BS);
    for (int i = 0; i < 2; i++) {
      readAndCheck(second, key("obj-01", i), o2, 2 * BS, true);
      assertEquals(
          1,
          o2.loadsOf(key("obj-01", i)),
          "block " + i + " of the new size was loaded, not taken from the old size");
    }
    assertEquals(
        2, second.stats().blocks(), "the old-size blocks were dropped like an older version");
  }

  @Test
  void aLowerQuotaAtRestartEvictsAtOnce() throws Exception {
    TestBlocks o = new TestBlocks(BS);
    Path ssd = dir.resolve("ssd");
    try (TieredBlockCache first =
        TieredBlockCache.builder(
                TieredStoreConfig.parse("levels:\n" + levelYaml("SSD", ssd, "8Mi", "0.9", "0.7"))
                    .withBlockSize(BS))
            .build()) {
      for (int i = 0; i < 40; i++) readAndCheck(first, key("obj-01", i), o, BS, false);
    }
    TieredBlockCache second =
        CacheInvariants.open(
            TieredBlockCache.builder(
                TieredStoreConfig.parse("levels:\n" + levelYaml("SSD", ssd, "1Mi", "0.9", "0.5"))
                    .withBlockSize(BS)));
    assertTrue(second.stats().usedBytes() <= (1 << 20) / 2, second.stats().toString());
  }

  /** A real kill: a child JVM writes blocks in a loop and gets SIGKILLed mid-way. */
  @Test
  void aKilledWriterLeavesNothingThatIsServedWrong() throws Exception {
    Path ssd = dir.resolve("ssd");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                WriterMain.class.getName(),
                ssd.toString(),
                String.valueOf(BS))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!Files.exists(ssd.resolve("started")) && System.nanoTime() < deadline && p.isAlive())
        Thread.sleep(20);
      assertTrue(p.isAlive(), "child died: " + Files.readString(dir.resolve("child.log")));
      Thread.sleep(300);
    } finally {
      p.destroyForcibly(); // SIGKILL to this child's PID only
      p.waitFor(10, TimeUnit.SECONDS);
    }
    assertFalse(p.isAlive());
    TieredStoreConfig c =
        TieredStoreConfig.parse("levels:\n" + levelYaml("SSD", ssd, "8Mi", "0.9", "0.7"))
            .withBlockSize(BS);
    TieredBlockCache after = CacheInvariants.open(TieredBlockCache.builder(c));
    long blocks = after.stats().blocks();
    assertTrue(blocks > 0, "the child cached something before the kill");
    TestBlocks o = new TestBlocks(BS);
    int served = 0;
    for (int i = 0; i < 100_000 && served < blocks; i++) {
      BlockKey k = key("obj-01", i % 1000);
      if (after.levelOf(k) < 0) continue;
      readAndCheck(after, k, o, BS, true);
      served++;
    }
    assertEquals(blocks, served);
    assertEquals(0, o.bytes.get(), "every block in the index was served from the cache, intact");
  }

  /** Writes blocks forever (until killed) into a single-level cache. */
  static final class WriterMain {
    public static void main(String[] args) throws IOException {
      int bs = Integer.parseInt(args[1]);
      TieredStoreConfig c =
          TieredStoreConfig.parse(
                  "levels:\n" + levelYaml("SSD", Path.of(args[0]), "8Mi", "0.9", "0.7"))
              .withBlockSize(bs);
      TestBlocks o = new TestBlocks(bs);
      TieredBlockCache cache = TieredBlockCache.builder(c).build();
      ByteBuffer dst = ByteBuffer.allocate(10);
      for (long i = 0; ; i++) {
        dst.clear();
        cache.read(key("obj-01", i % 1000), 0, dst, o);
        if (i == 20) Files.createFile(Path.of(args[0], "started"));
      }
    }
  }
}
