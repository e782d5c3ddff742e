package io.ossfuse.fuse.raw;

import io.ossfuse.fs.DirEntry;
import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FileType;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fs.StatFs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
 * The raw transport's request path without the kernel: a request decoded from bytes, the filesystem
 * call, the reply encoded (Dispatcher.handle), over a filesystem that answers from memory. This is
 * the per-request CPU cost the transport adds on top of the cache; the kernel round trip is not in
 * it. Lives in the transport's package because Dispatcher is package-private.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class FuseCodecBench {
  @Param({"GETATTR", "LOOKUP", "READ_128K", "READ_1M", "READDIRPLUS_100"})
  String request;

  Dispatcher dispatcher;
  ByteBuffer in;
  ByteBuffer out;
  int n;

  @Setup
  public void setup() {
    dispatcher =
        new Dispatcher(
            new MemoryFs(),
            RawFuseConfig.defaults(),
            buf -> {
              throw new IllegalStateException("no INIT in this benchmark");
            });
    in = ByteBuffer.allocateDirect(RawFuseConfig.MAX_REQUEST + 4096).order(ByteOrder.LITTLE_ENDIAN);
    out =
        ByteBuffer.allocateDirect(RawFuseConfig.MAX_REQUEST + 4096).order(ByteOrder.LITTLE_ENDIAN);
    int a = Wire.IN_HEADER;
    switch (request) {
      case "GETATTR" -> n = header(Wire.GETATTR, 2, a + 16);
      case "LOOKUP" -> {
        byte[] name = "f0042.bin".getBytes(StandardCharsets.UTF_8);
        in.put(a, name).put(a + name.length, (byte) 0);
        n = header(Wire.LOOKUP, ReadOnlyFileSystem.ROOT_INO, a + name.length + 1);
      }
      case "READ_128K", "READ_1M" -> {
        in.putLong(a, 7)
            .putLong(a + 8, 1 << 20)
            .putInt(a + 16, "READ_1M".equals(request) ? 1 << 20 : 128 << 10);
        n = header(Wire.READ, 2, a + 40);
      }
      case "READDIRPLUS_100" -> {
        in.putLong(a, 9).putLong(a + 8, 0).putInt(a + 16, 64 << 10);
        n = header(Wire.READDIRPLUS, ReadOnlyFileSystem.ROOT_INO, a + 40);
      }
      default -> throw new IllegalArgumentException(request);
    }
    // measure only a request that really succeeds: error 0 and a payload in the reply
    int len = dispatcher.handle(in, n, out);
    if (len <= Wire.OUT_HEADER || out.getInt(4) != 0 || out.getInt(0) != len) {
      throw new IllegalStateException(
          request + ": bad reply, length " + len + " error " + out.getInt(4));
    }
  }

  private int header(int opcode, long node, int len) {
    in.putInt(0, len).putInt(4, opcode).putLong(8, 42).putLong(16, node);
    return len;
  }

  @Benchmark
  public int handle() {
    return dispatcher.handle(in, n, out);
  }

  /**
   * Root with 100 files of 1 GiB each; reads fill the buffer as a warm cache hit would (a copy).
   */
  static final class MemoryFs implements ReadOnlyFileSystem {
    static final Instant MTIME = Instant.parse("2026-11-25T00:00:00Z");
    final FileAttr root = new FileAttr(ROOT_INO, FileType.DIRECTORY, 0, 0755, 2, 0, 0, MTIME);
    final FileAttr file = new FileAttr(2, FileType.REGULAR, 1L << 30, 0644, 1, 0, 0, MTIME);
    final List<DirEntry> entries;
    final ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);

    MemoryFs() {
      DirEntry[] e = new DirEntry[100];
      for (int i = 0; i < e.length; i++) {
        e[i] =
            new DirEntry(
                String.format("f%04d.bin", i),
                new FileAttr(100 + i, FileType.REGULAR, 65536, 0644, 1, 0, 0, MTIME),
                i + 1);
      }
      entries = List.of(e);
    }

    @Override
    public FileAttr lookup(long parent, String name) {
      return file;
    }

    @Override
    public void forget(long ino, long nlookup) {}

    @Override
    public FileAttr getattr(long ino) {
      return ino == ROOT_INO ? root : file;
    }

    @Override
    public long opendir(long ino) {
      return 9;
    }

    @Override
    public void readdir(long ino, long fh, long offset, DirFiller filler) {
      for (int i = (int) offset; i < entries.size(); i++) {
        if (!filler.add(entries.get(i))) return;
      }
    }

    @Override
    public void releasedir(long ino, long fh) {}

    @Override
    public io.ossfuse.fs.OpenFile open(long ino, int flags) {
      return new io.ossfuse.fs.OpenFile(7, io.ossfuse.fs.OpenFile.PageCache.KEEP, file);
    }

    @Override
    public int read(long ino, long fh, long offset, ByteBuffer dst) {
      int len = Math.min(dst.remaining(), block.capacity());
      dst.put(block.slice(0, len));
      return len;
    }

    @Override
    public void release(long ino, long fh) {}

    @Override
    public StatFs statfs() {
      return new StatFs(4096, 1 << 20, 0, 100, 0, 255);
    }

    @Override
    public byte[] getxattr(long ino, String name) throws FsException {
      return new byte[0];
    }

    @Override
    public List<String> listxattr(long ino) {
      return List.of();
    }

    @Override
    public Duration attrTimeout() {
      return Duration.ofSeconds(60);
    }

    @Override
    public Duration entryTimeout() {
      return Duration.ofSeconds(60);
    }
  }
}
