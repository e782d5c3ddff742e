package io.ossfuse.bench;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * CRC32C of one 4 MiB block, as one checksum over the whole block or one per chunk (JuiceFS checks
 * every 32 KiB; the tiered cache every 64 KiB). Per-chunk sums let a reader verify only the chunks
 * it reads; this measures what the split costs. Score is time per 4 MiB block: 4 MiB / score =
 * GB/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ChecksumBench {
  static final int BLOCK = 4 << 20;

  @Param({"4194304", "65536", "32768"})
  int chunk;

  @Param({"heap", "direct"})
  String buffer;

  ByteBuffer block;
  long[] sums;

  @Setup
  public void setup() {
    block = "direct".equals(buffer) ? ByteBuffer.allocateDirect(BLOCK) : ByteBuffer.allocate(BLOCK);
    SplittableRandom rnd = new SplittableRandom(42);
    while (block.remaining() >= 8) block.putLong(rnd.nextLong());
    block.flip();
    sums = new long[BLOCK / chunk];
  }

  @Benchmark
  public long[] crc32cPerChunk() {
    CRC32C crc = new CRC32C();
    for (int i = 0, off = 0; off < BLOCK; i++, off += chunk) {
      crc.reset();
      crc.update(block.slice(off, chunk));
      sums[i] = crc.getValue();
    }
    return sums;
  }
}
