package io.ossfuse.stats;

import io.ossfuse.fs.BackingFile;
import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.OpenFile;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fs.StatFs;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/**
 * Times every call into the filesystem, whatever transport makes it (so transports stay pure
 * translation). The latency is the filesystem's share of a request: kernel and transport time are
 * not in it.
 */
final class MeteredFileSystem implements ReadOnlyFileSystem {
  private final ReadOnlyFileSystem fs;
  private final MountMetrics m;

  MeteredFileSystem(ReadOnlyFileSystem fs, MountMetrics m) {
    this.fs = fs;
    this.m = m;
  }

  ReadOnlyFileSystem delegate() {
    return fs;
  }

  @FunctionalInterface
  private interface Call<T> {
    T run() throws FsException;
  }

  private <T> T timed(String op, Call<T> c) throws FsException {
    long t0 = System.nanoTime();
    try {
      T r = c.run();
      m.fuseOp(op, System.nanoTime() - t0, null);
      return r;
    } catch (FsException e) {
      m.fuseOp(op, System.nanoTime() - t0, e.errno());
      throw e;
    }
  }

  private void timed(String op, Runnable r) {
    long t0 = System.nanoTime();
    r.run();
    m.fuseOp(op, System.nanoTime() - t0, null);
  }

  @Override
  public FileAttr lookup(long parent, String name) throws FsException {
    return timed("lookup", () -> fs.lookup(parent, name));
  }

  @Override
  public void forget(long ino, long nlookup) {
    timed("forget", () -> fs.forget(ino, nlookup));
  }

  @Override
  public FileAttr getattr(long ino) throws FsException {
    return timed("getattr", () -> fs.getattr(ino));
  }

  @Override
  public long opendir(long ino) throws FsException {
    return timed("opendir", () -> fs.opendir(ino));
  }

  @Override
  public void readdir(long ino, long fh, long offset, DirFiller filler) throws FsException {
    timed(
        "readdir",
        () -> {
          fs.readdir(ino, fh, offset, filler);
          return null;
        });
  }

  @Override
  public void releasedir(long ino, long fh) {
    timed("releasedir", () -> fs.releasedir(ino, fh));
  }

  @Override
  public OpenFile open(long ino, int flags) throws FsException {
    OpenFile f = timed("open", () -> fs.open(ino, flags));
    BackingFile b = f.backing();
    if (b == null) return f;
    return new OpenFile(
        f.fh(),
        f.pageCache(),
        f.attr(),
        new BackingFile() {
          @Override
          public java.nio.file.Path path() {
            return b.path();
          }

          @Override
          public String version() {
            return b.version();
          }

          @Override
          public void usedForOpen() {
            b.usedForOpen();
            m.fuseOp(PASSTHROUGH_OPEN, 0, null);
          }

          @Override
          public void release() {
            b.release();
          }
        });
  }

  /** Counted (as an operation of no latency) when the transport made an open passthrough. */
  static final String PASSTHROUGH_OPEN = "open_passthrough";

  @Override
  public int read(long ino, long fh, long offset, ByteBuffer dst) throws FsException {
    int n = timed("read", () -> fs.read(ino, fh, offset, dst));
    m.fuseBytes("read", n);
    return n;
  }

  @Override
  public void release(long ino, long fh) {
    timed("release", () -> fs.release(ino, fh));
  }

  @Override
  public StatFs statfs() throws FsException {
    return timed("statfs", fs::statfs);
  }

  @Override
  public byte[] getxattr(long ino, String name) throws FsException {
    return timed("getxattr", () -> fs.getxattr(ino, name));
  }

  @Override
  public List<String> listxattr(long ino) throws FsException {
    return timed("listxattr", () -> fs.listxattr(ino));
  }

  @Override
  public Duration attrTimeout() {
    return fs.attrTimeout();
  }

  @Override
  public Duration entryTimeout() {
    return fs.entryTimeout();
  }

  @Override
  public void close() {
    fs.close();
  }
}
