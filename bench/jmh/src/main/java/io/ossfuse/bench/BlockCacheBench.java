package io.ossfuse.bench;

import io.ossfuse.cache.BlockKey;
import io.ossfuse.cache.BlockLoader;
import io.ossfuse.cache.TieredBlockCache;
import io.ossfuse.cache.TieredStoreConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The tiered block cache's hot paths on a MEM level under /dev/shm, with 1 MiB blocks:
 *
 * <ul>
 *   <li>{@code hit}: a 128 KiB read of a cached block (index lookup, one pread of its block file,
 *       kept open: the file's header and chunk CRCs were checked once, at its first read);
 *   <li>{@code missEvict}: the working set is 4x the quota, so nearly every read loads a block,
 *       writes it and evicts LRU blocks down to the low watermark.
 * </ul>
 *
 * The loader hands back prebuilt bytes, so no network is measured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class BlockCacheBench {
  static final int BLOCK = 1 << 20;
  static final int READ = 128 << 10;
  static final int QUOTA_BLOCKS = 64;

  @Param({"hit", "missEvict"})
  String workload;

  Path dir;
  TieredBlockCache cache;
  ByteBuffer blockBytes;
  BlockLoader loader;
  int keys;

  @Setup(Level.Trial)
  public void setup() throws IOException {
    dir = Files.createTempDirectory(Path.of("/dev/shm"), "ossfuse-jmh-");
    String yaml =
        "tieredstore:\n  levels:\n    - mediumtype: MEM\n      path: "
            + dir
            + "\n      quota: "
            + (QUOTA_BLOCKS * (BLOCK + 8192))
            + "\n      high: \"0.95\"\n      low: \"0.8\"\n";
    cache = TieredBlockCache.builder(TieredStoreConfig.parse(yaml)).blockSize(BLOCK).build();
    blockBytes = ByteBuffer.allocateDirect(BLOCK);
    SplittableRandom rnd = new SplittableRandom(7);
    while (blockBytes.remaining() >= 8) blockBytes.putLong(rnd.nextLong());
    blockBytes.flip();
    loader = key -> blockBytes.duplicate();
    keys = "hit".equals(workload) ? QUOTA_BLOCKS / 2 : QUOTA_BLOCKS * 4;
    ByteBuffer dst = ByteBuffer.allocate(READ);
    for (int i = 0; i < Math.min(keys, QUOTA_BLOCKS / 2); i++) {
      dst.clear();
      cache.read(key(i), 0, dst, loader);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    cache.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  static BlockKey key(int i) {
    return new BlockKey("bench", "objects/big.bin", "\"etag-1\"", i);
  }

  @State(Scope.Thread)
  public static class Dst {
    final ByteBuffer buf = ByteBuffer.allocateDirect(READ);
  }

  @Benchmark
  @Threads(1)
  public int read1(Dst d) throws IOException {
    return read(d);
  }

  @Benchmark
  @Threads(2)
  public int read2(Dst d) throws IOException {
    return read(d);
  }

  private int read(Dst d) throws IOException {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    d.buf.clear();
    int offset = rnd.nextInt(BLOCK / READ) * READ;
    return cache.read(key(rnd.nextInt(keys)), offset, d.buf, loader);
  }
}
