package io.ossfuse.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TieredStoreConfigTest {
  private static final long GI = 1L << 30;

  /** Verbatim from issue 3. */
  static final String ISSUE_YAML =
      """
            tieredstore:
              levels:
                - {mediumtype: MEM, path: /dev/shm/ossfuse, quota: 2Gi, high: "0.99", low: "0.95"}
                - {mediumtype: SSD, path: /mnt/ssd/ossfuse, quota: 100Gi, high: "0.9", low: "0.8"}
                - {mediumtype: HDD, path: "/mnt/hdd1,/mnt/hdd2", quota: 1Ti, high: "0.9", low: "0.7"}
            """;

  @Test
  void parsesTheIssueBlockVerbatim() {
    TieredStoreConfig c = TieredStoreConfig.parse(ISSUE_YAML);
    assertEquals(3, c.levels().size());
    TierLevel mem = c.levels().get(0), ssd = c.levels().get(1), hdd = c.levels().get(2);
    assertEquals(MediumType.MEM, mem.mediumType());
    assertEquals(List.of(Path.of("/dev/shm/ossfuse")), mem.paths());
    assertEquals(List.of(2 * GI), mem.quotas());
    assertEquals(0.99, mem.high());
    assertEquals(0.95, mem.low());
    assertEquals(MediumType.SSD, ssd.mediumType());
    assertEquals(100 * GI, ssd.quota());
    assertEquals(0.8, ssd.low());
    assertEquals(MediumType.HDD, hdd.mediumType());
    assertEquals(List.of(Path.of("/mnt/hdd1"), Path.of("/mnt/hdd2")), hdd.paths());
    assertEquals(List.of(512 * GI, 512 * GI), hdd.quotas(), "quota split evenly over the paths");
    assertEquals(1024 * GI, hdd.quota());
    assertEquals(0.7, hdd.low());
    assertEquals(TieredStoreConfig.DEFAULT_BLOCK_SIZE, c.blockSize());
    assertTrue(c.promotion());
  }

  @Test
  void acceptsTheBlockWithoutTheTopLevelKeyAndInAnyOrder() {
    TieredStoreConfig c =
        TieredStoreConfig.parse(
            """
                levels:
                  - mediumtype: HDD
                    path: /mnt/hdd
                    quota: 1Ti
                    high: 0.9
                    low: 0.7
                  - mediumtype: MEM
                    path: /dev/shm/x
                    quota: 1073741824
                    high: 1
                    low: 0.5
                  - {mediumtype: ssd, path: /mnt/ssd, quota: 10G, high: "0.9", low: "0.9"}
                """);
    assertEquals(
        List.of(MediumType.MEM, MediumType.SSD, MediumType.HDD),
        c.levels().stream().map(TierLevel::mediumType).toList());
    assertEquals(GI, c.levels().get(0).quota(), "plain bytes");
    assertEquals(1.0, c.levels().get(0).high(), "numbers as well as strings");
    assertEquals(10 * GI, c.levels().get(1).quota(), "G is binary");
  }

  @Test
  void quotaListGivesEachPathItsOwnQuota() {
    TieredStoreConfig c =
        TieredStoreConfig.parse(
            """
                tieredstore:
                  levels:
                    - {mediumtype: SSD, path: "/a, /b", quotaList: "1Gi,3GiB", high: "0.9", low: "0.8"}
                """);
    assertEquals(List.of(GI, 3 * GI), c.levels().get(0).quotas());
  }

  @Test
  void fileAndExtraOptions(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("tiered.yaml");
    Files.writeString(
        f, ISSUE_YAML.replace("  levels:", "  blockSize: 1Mi\n  promotion: false\n  levels:"));
    TieredStoreConfig c = TieredStoreConfig.load(f);
    assertEquals(1 << 20, c.blockSize());
    assertFalse(c.promotion());
  }

  @ParameterizedTest
  @CsvSource({
    "1024,1024",
    "1Ki,1024",
    "1KiB,1024",
    "1K,1024",
    "3Mi,3145728",
    "2Gi,2147483648",
    "2GiB,2147483648",
    "2G,2147483648",
    "1Ti,1099511627776",
    "1TiB,1099511627776",
    "1T,1099511627776",
    "1.5Gi,1610612736",
    "7 B,7",
    "2gi,2147483648"
  })
  void quotaUnitsAreBinary(String text, long bytes) {
    assertEquals(bytes, Sizes.parse(text));
  }

  @ParameterizedTest
  @CsvSource({"2Gx", "Gi", "-1Gi", "2 Gi B", "1e9", "''"})
  void notSizes(String text) {
    assertEquals(-1, Sizes.parse(text));
  }

  private static String oneLevel(String fields) {
    return "tieredstore:\n  levels:\n    - {mediumtype: MEM, path: /dev/shm/x, " + fields + "}\n";
  }

  private static void assertRejected(String yaml, String message) {
    CacheConfigException e =
        assertThrows(CacheConfigException.class, () -> TieredStoreConfig.parse(yaml));
    assertEquals(message, e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line");
  }

  @Test
  void highBelowLow() {
    assertRejected(
        oneLevel("quota: 2Gi, high: \"0.5\", low: \"0.9\""),
        "tieredstore.levels[0] (MEM): low 0.9 and high 0.5 are out of order; need 0 < low <= high <= 1");
  }

  @Test
  void badQuotaUnit() {
    assertRejected(
        oneLevel("quota: 2Gx, high: \"0.9\", low: \"0.8\""),
        "tieredstore.levels[0] (MEM): quota \"2Gx\" is not a size; use bytes or a number with Ki, Mi, Gi or Ti (e.g. 2Gi)");
  }

  @Test
  void otherBadInputs() {
    assertRejected(
        oneLevel("quota: 2Gi, high: \"1.5\", low: \"0.8\""),
        "tieredstore.levels[0] (MEM): high \"1.5\" is not a ratio; need 0 < low <= high <= 1, e.g. \"0.9\"");
    assertRejected(
        oneLevel("quota: 2Gi, high: \"0.9\", low: 0"),
        "tieredstore.levels[0] (MEM): low \"0\" is not a ratio; need 0 < low <= high <= 1, e.g. \"0.9\"");
    assertRejected(
        oneLevel("high: \"0.9\", low: \"0.8\""),
        "tieredstore.levels[0] (MEM): quota is missing; give the level size, e.g. quota: 2Gi");
    assertRejected(
        oneLevel("quota: 2Gi, qouta: 1, high: \"0.9\", low: \"0.8\""),
        "tieredstore.levels[0] (MEM): unknown field 'qouta'; expected one of mediumtype, path, quota, quotaList, high, low");
    assertRejected(
        "levels:\n  - {mediumtype: NVME, path: /x, quota: 1Gi, high: 1, low: 1}\n",
        "tieredstore.levels[0]: mediumtype \"NVME\" is unknown; use MEM, SSD or HDD");
    assertRejected(
        "levels:\n  - {mediumtype: SSD, path: relative/dir, quota: 1Gi, high: 1, low: 1}\n",
        "tieredstore.levels[0] (SSD): path \"relative/dir\" is relative; use an absolute path");
    assertRejected(
        "levels:\n  - {mediumtype: SSD, path: \"/a,/b\", quotaList: 1Gi, high: 1, low: 1}\n",
        "tieredstore.levels[0] (SSD): quotaList has 1 entries for 2 paths; give one quota per path, comma-separated");
    assertRejected(
        "levels:\n  - {mediumtype: SSD, path: /a, quota: 1Gi, high: 1, low: 1}\n"
            + "  - {mediumtype: SSD, path: /b, quota: 1Gi, high: 1, low: 1}\n",
        "tieredstore: mediumtype SSD appears twice; merge them into one level with a comma list in path");
    assertRejected(
        "tieredstore:\n  level: []\n",
        "tieredstore: no levels: list found; write tieredstore: levels: - {mediumtype: MEM, path: ..., quota: ...}");
    assertRejected(
        "tieredstore: [\n",
        "tieredstore: not valid YAML at line 1 (while parsing a flow node); fix the syntax");
  }

  @Test
  void unwritablePathFailsAtBuildWithOneLine(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    TieredStoreConfig c =
        TieredStoreConfig.parse(
            "levels:\n  - {mediumtype: SSD, path: "
                + file.resolve("sub")
                + ", quota: 1Mi, high: 1, low: 1}\n");
    CacheConfigException e =
        assertThrows(CacheConfigException.class, () -> TieredBlockCache.builder(c).build());
    assertTrue(
        e.getMessage()
            .startsWith(
                "tieredstore level SSD path "
                    + file.resolve("sub")
                    + ": cannot create or write the cache directory "),
        e.getMessage());
    assertTrue(
        e.getMessage().endsWith("; create it writable or choose another path"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void quotaLargerThanTheDiskIsOnlyAWarning(@TempDir Path dir) {
    TieredStoreConfig c =
        TieredStoreConfig.parse(
            "levels:\n  - {mediumtype: SSD, path: " + dir + ", quota: 1000Ti, high: 1, low: 1}\n");
    PrintStream old = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try (TieredBlockCache cache = TieredBlockCache.builder(c).build()) {
      assertEquals(1000L << 40, cache.stats().levels().get(0).quotaBytes());
    } finally {
      System.setErr(old);
    }
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("quota 1000.0 TiB is larger than the disk"),
        err.toString());
  }

  @Test
  void aDirectoryServesOneCacheAtATime(@TempDir Path dir) {
    TieredStoreConfig c =
        TieredStoreConfig.parse(
            "levels:\n  - {mediumtype: SSD, path: " + dir + ", quota: 1Mi, high: 1, low: 1}\n");
    try (TieredBlockCache first = TieredBlockCache.builder(c).build()) {
      CacheConfigException e =
          assertThrows(CacheConfigException.class, () -> TieredBlockCache.builder(c).build());
      assertEquals(
          "tieredstore level SSD path "
              + dir
              + ": the directory is in use by another cache (lock "
              + dir.resolve("ossfuse.blocks/.lock")
              + "); give each mount its own path",
          e.getMessage());
    }
  }
}
