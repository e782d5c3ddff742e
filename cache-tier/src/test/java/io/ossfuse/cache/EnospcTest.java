package io.ossfuse.cache;

import static io.ossfuse.cache.TestBlocks.key;
import static io.ossfuse.cache.TestBlocks.levelYaml;
import static io.ossfuse.cache.TestBlocks.readAndCheck;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A MEM level on a real 2 MiB tmpfs whose configured quota is far larger than the disk. */
@ExtendWith(CacheInvariants.class)
class EnospcTest {
  static final int BS = 256 * 1024;

  @TempDir Path dir;
  Path tiny;

  @BeforeEach
  void mountTinyTmpfs() throws Exception {
    tiny = Files.createDirectories(dir.resolve("tiny"));
    int rc = run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", tiny.toString());
    assumeTrue(rc == 0, "cannot mount a tmpfs here (needs root)");
  }

  @AfterEach
  void unmount() throws Exception {
    if (Files.readString(Path.of("/proc/mounts")).contains(" " + tiny + " ")) {
      if (run("umount", tiny.toString()) != 0) run("umount", "-l", tiny.toString());
    }
  }

  private static int run(String... cmd) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    return p.exitValue();
  }

  @Test
  void aFullMemLevelFallsThroughToSsdAndReadsStayCorrect() throws Exception {
    TieredStoreConfig c =
        TieredStoreConfig.parse(
                "levels:\n"
                    + levelYaml("MEM", tiny, "64Mi", "0.9", "0.6")
                    + levelYaml("SSD", dir.resolve("ssd"), "64Mi", "0.9", "0.7"))
            .withBlockSize(BS)
            .withPromotion(false);
    TieredBlockCache cache = CacheInvariants.open(TieredBlockCache.builder(c));
    TestBlocks o = new TestBlocks(BS);
    List<BlockKey> keys = new ArrayList<>();
    for (int i = 0; i < 40; i++) { // 10 MiB through a 2 MiB disk
      BlockKey k = key("obj-01", i);
      keys.add(k);
      readAndCheck(cache, k, o, BS, i % 2 == 0);
    }
    CacheStats s = cache.stats();
    assertTrue(s.ioErrors() >= 1, "the disk filled up: " + s);
    LevelStats mem = s.levels().get(0);
    assertTrue(mem.quotaBytes() <= 2 << 20, "MEM quota lowered to what the disk holds: " + mem);
    assertTrue(mem.blocks() > 0, "MEM still caches after it filled: " + mem);
    assertTrue(s.levels().get(1).blocks() > 0, "blocks fell through / were demoted to SSD: " + s);
    for (BlockKey k : keys) {
      readAndCheck(cache, k, o, BS, true);
      assertEquals(1, o.loadsOf(k), "every block stayed cached somewhere: " + k);
    }
    // blocks written after the disk filled still land on MEM (eviction makes room there now)
    BlockKey fresh = key("obj-02", 0);
    readAndCheck(cache, fresh, o, BS, false);
    assertEquals(0, cache.levelOf(fresh));
    checkAndClose(cache); // before @AfterEach unmounts the level
  }

  private static void checkAndClose(TieredBlockCache cache) throws InterruptedException {
    cache.awaitBackground();
    cache.checkInvariants();
    cache.close();
  }

  @Test
  void aFullOnlyLevelFallsThroughToUncachedReads() throws Exception {
    // fill the tmpfs behind the cache's back so even the first block cannot be written
    Files.write(tiny.resolve("filler"), new byte[2 * 1024 * 1024 - 64 * 1024]);
    TieredStoreConfig c =
        TieredStoreConfig.parse("levels:\n" + levelYaml("MEM", tiny, "64Mi", "0.9", "0.6"))
            .withBlockSize(BS);
    TieredBlockCache cache = CacheInvariants.open(TieredBlockCache.builder(c));
    TestBlocks o = new TestBlocks(BS);
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 4; i++) readAndCheck(cache, key("obj-01", i), o, BS, round == 0);
    }
    assertEquals(
        8,
        o.loads.values().stream().mapToInt(java.util.concurrent.atomic.AtomicInteger::get).sum(),
        "nothing could be cached; every read went to the origin and succeeded");
    assertEquals(0, cache.stats().blocks());
    assertTrue(cache.stats().ioErrors() >= 1);
    Files.delete(tiny.resolve("filler"));
    checkAndClose(cache);
  }
}
