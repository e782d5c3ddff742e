package io.ossfuse.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Not a test: {@code java -cp ... io.ossfuse.cache.CacheBench /dev/shm/somedir [MiB]}. Measures
 * warm reads through the cache against plain reads of one file on the same tmpfs, and the restart
 * scan of 100,000 blocks.
 */
public final class CacheBench {
  public static void main(String[] args) throws Exception {
    Path base = Path.of(args[0]);
    int mib = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    Files.createDirectories(base);
    try {
      warm(base, mib);
      scan(base);
    } finally {
      try (Stream<Path> w = Files.walk(base)) {
        w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void warm(Path base, int mib) throws IOException {
    int bs = 4 << 20;
    long size = (long) mib << 20;
    int blocks = (int) (size / bs);
    TieredStoreConfig c =
        TieredStoreConfig.parse(
            "levels:\n"
                + TestBlocks.levelYaml(
                    "MEM", base.resolve("mem"), (mib * 2) + "Mi", "0.99", "0.95"));
    ByteBuffer pattern = ByteBuffer.allocate(bs);
    for (int i = 0; i < bs; i++) pattern.put(i, (byte) (i * 31));
    BlockLoader loader = k -> pattern.duplicate();
    Path plain = base.resolve("plain.bin");
    try (FileChannel ch =
        FileChannel.open(plain, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      for (int b = 0; b < blocks; b++) ch.write(pattern.duplicate());
    }
    try (TieredBlockCache cache = TieredBlockCache.builder(c).build()) {
      ByteBuffer dst = ByteBuffer.allocateDirect(1 << 20);
      for (int b = 0; b < blocks; b++)
        cache.read(new BlockKey("b", "obj", "e", b), 0, dst.clear(), loader);
      for (int readSize : new int[] {128 << 10, 1 << 20}) {
        for (int round = 0; round < 3; round++) {
          long t0 = System.nanoTime();
          for (int b = 0; b < blocks; b++) {
            BlockKey k = new BlockKey("b", "obj", "e", b);
            for (int off = 0; off < bs; off += readSize) {
              dst.clear().limit(readSize);
              if (cache.read(k, off, dst, loader) != readSize) throw new AssertionError();
            }
          }
          double cacheGbs = size / ((System.nanoTime() - t0) / 1e9) / 1e9;
          t0 = System.nanoTime();
          try (FileChannel ch = FileChannel.open(plain, StandardOpenOption.READ)) {
            for (long pos = 0; pos < size; pos += readSize) {
              dst.clear().limit(readSize);
              ch.read(dst, pos);
            }
          }
          double plainGbs = size / ((System.nanoTime() - t0) / 1e9) / 1e9;
          System.out.printf(
              Locale.ROOT,
              "warm %d MiB, %d KiB reads: cache %.2f GB/s, plain FileChannel on the same tmpfs %.2f GB/s (%.0f %%)%n",
              mib,
              readSize >> 10,
              cacheGbs,
              plainGbs,
              100 * cacheGbs / plainGbs);
        }
      }
      System.out.println(cache.stats());
    }
  }

  private static void scan(Path base) throws IOException {
    Path dir = base.resolve("scan");
    TieredStoreConfig c =
        TieredStoreConfig.parse(
                "levels:\n" + TestBlocks.levelYaml("SSD", dir, "100Gi", "0.99", "0.95"))
            .withBlockSize(4096);
    byte[] file;
    try (TieredBlockCache cache = TieredBlockCache.builder(c).build()) {
      BlockKey k = new BlockKey("b", "obj", "e", 0);
      cache.read(k, 0, ByteBuffer.allocate(10), key -> ByteBuffer.allocate(4096));
      file = Files.readAllBytes(cache.fileOf(k));
    }
    Path root = dir.resolve(TieredBlockCache.DIR_NAME);
    for (int i = 0; i < 100_000; i++) {
      BlockId id = new BlockId(BlockId.hash("obj" + i), 42, i);
      Files.write(root.resolve(id.dirName()).resolve(id.fileName()), file);
    }
    long t0 = System.nanoTime();
    try (TieredBlockCache cache = TieredBlockCache.builder(c).build()) {
      System.out.printf(
          Locale.ROOT,
          "restart scan: %d blocks indexed in %d ms%n",
          cache.stats().blocks(),
          (System.nanoTime() - t0) / 1_000_000);
    }
  }
}
