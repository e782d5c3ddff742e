package io.ossfuse.fuse.raw;

import io.ossfuse.fs.DirEntry;
import io.ossfuse.fs.Errno;
import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FileType;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.OpenFile;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fs.StatFs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * A deterministic in-memory filesystem for transport tests; every generation of a child builds the
 * same one, so node ids and handles (fh = ino) are stable without any state:
 *
 * <pre>
 * /            ino 1
 * ├── big      ino 2   byte i = {@link #at(long)}, size configurable
 * ├── hello    ino 3   "hello, seamless world\n", xattr user.test = "xattr-value"
 * ├── dir      ino 4
 * │   └── f-00000-…-padding … f-09999-…   ino 1000+i, size i, byte j = 'a' + (i + j) % 26
 * └── probe-*  ino 5   (any name; not listed) so every stat of a new name reaches the server
 * </pre>
 */
class PatternFileSystem implements ReadOnlyFileSystem {
  static final long BIG = 2, HELLO = 3, DIR = 4, PROBE = 5, FIRST_FILE = 1000;
  static final int FILES = 10_000;
  static final byte[] HELLO_BYTES = "hello, seamless world\n".getBytes(StandardCharsets.UTF_8);
  static final Instant MTIME = Instant.parse("2026-11-25T12:00:00.123456789Z");

  private final long bigSize;

  /** The content of big when materialized (fast reads, for throughput); else computed per read. */
  private final byte[] big;

  private final long readDelayMs;
  private final long readdirDelayMs;

  PatternFileSystem(long bigBytes, boolean materialize, long readDelayMs, long readdirDelayMs) {
    this.bigSize = bigBytes;
    this.big = materialize ? pattern(Math.toIntExact(bigBytes)) : null;
    this.readDelayMs = readDelayMs;
    this.readdirDelayMs = readdirDelayMs;
  }

  static byte at(long i) {
    long x = (i >>> 3) * 0x9E3779B97F4A7C15L;
    return (byte) ((x >>> (8 * (i & 7))) ^ (i >>> 24));
  }

  static byte[] pattern(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = at(i);
    }
    return b;
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  static String fileName(int i) {
    return String.format("f-%05d-a-reasonably-long-name-for-listing", i);
  }

  static byte fileByte(int i, long j) {
    return (byte) ('a' + (i + j) % 26);
  }

  FileAttr attr(long ino) throws FsException {
    if (ino == ROOT_INO || ino == DIR) {
      return new FileAttr(ino, FileType.DIRECTORY, 4096, 0555, 2, 0, 0, MTIME);
    }
    if (ino == BIG) {
      return new FileAttr(ino, FileType.REGULAR, bigSize, 0444, 1, 0, 0, MTIME);
    }
    if (ino == HELLO) {
      return new FileAttr(ino, FileType.REGULAR, HELLO_BYTES.length, 0444, 1, 0, 0, MTIME);
    }
    if (ino == PROBE) {
      return new FileAttr(ino, FileType.REGULAR, 0, 0444, 1, 0, 0, MTIME);
    }
    if (ino >= FIRST_FILE && ino < FIRST_FILE + FILES) {
      return new FileAttr(ino, FileType.REGULAR, ino - FIRST_FILE, 0444, 1, 0, 0, MTIME);
    }
    throw new FsException(Errno.ENOENT, "no inode " + ino);
  }

  @Override
  public FileAttr lookup(long parent, String name) throws FsException {
    if (parent == ROOT_INO) {
      switch (name) {
        case "big":
          return attr(BIG);
        case "hello":
          return attr(HELLO);
        case "dir":
          return attr(DIR);
        default:
          if (name.startsWith("probe-")) {
            return attr(PROBE);
          }
      }
    } else if (parent == DIR && name.startsWith("f-") && name.length() > 7) {
      try {
        int i = Integer.parseInt(name.substring(2, 7));
        if (i < FILES && name.equals(fileName(i))) {
          return attr(FIRST_FILE + i);
        }
      } catch (NumberFormatException e) {
        // fall through
      }
    } else if (parent != DIR) {
      throw new FsException(Errno.ENOTDIR, "not a directory: " + parent);
    }
    throw new FsException(Errno.ENOENT, name);
  }

  @Override
  public void forget(long ino, long nlookup) {}

  @Override
  public FileAttr getattr(long ino) throws FsException {
    return attr(ino);
  }

  @Override
  public long opendir(long ino) throws FsException {
    if (attr(ino).type() != FileType.DIRECTORY) {
      throw new FsException(Errno.ENOTDIR, "not a directory");
    }
    return ino;
  }

  @Override
  public void readdir(long ino, long fh, long offset, DirFiller filler) throws FsException {
    sleep(readdirDelayMs);
    int total = ino == ROOT_INO ? 5 : ino == DIR ? FILES + 2 : -1;
    if (total < 0) {
      throw new FsException(Errno.ENOTDIR, "not a directory");
    }
    for (long i = offset; i < total; i++) {
      String name;
      FileAttr a;
      if (i == 0) {
        name = ".";
        a = attr(ino);
      } else if (i == 1) {
        name = "..";
        a = attr(ROOT_INO);
      } else if (ino == ROOT_INO) {
        name = new String[] {"big", "hello", "dir"}[(int) i - 2];
        a = lookup(ROOT_INO, name);
      } else {
        name = fileName((int) i - 2);
        a = attr(FIRST_FILE + i - 2);
      }
      if (!filler.add(new DirEntry(name, a, i + 1))) {
        return;
      }
    }
  }

  @Override
  public void releasedir(long ino, long fh) {}

  @Override
  public OpenFile open(long ino, int flags) throws FsException {
    if ((flags & 3) != 0) {
      throw new FsException(Errno.EROFS, "read-only");
    }
    if (attr(ino).type() != FileType.REGULAR) {
      throw new FsException(Errno.EISDIR, "directory");
    }
    return new OpenFile(ino, OpenFile.PageCache.KEEP, attr(ino));
  }

  @Override
  public int read(long ino, long fh, long offset, ByteBuffer dst) throws FsException {
    if (fh != ino) {
      throw new FsException(Errno.EBADF, "fh " + fh + " is not for inode " + ino);
    }
    long size = attr(ino).size();
    if (offset >= size) {
      return 0;
    }
    int n = (int) Math.min(dst.remaining(), size - offset);
    if (ino == BIG) {
      sleep(readDelayMs);
      if (big != null) {
        dst.put(big, (int) offset, n);
      } else {
        for (int j = 0; j < n; j++) {
          dst.put(at(offset + j));
        }
      }
    } else if (ino == HELLO) {
      dst.put(HELLO_BYTES, (int) offset, n);
    } else {
      int i = (int) (ino - FIRST_FILE);
      for (int j = 0; j < n; j++) {
        dst.put(fileByte(i, offset + j));
      }
    }
    return n;
  }

  @Override
  public void release(long ino, long fh) {}

  @Override
  public StatFs statfs() {
    return new StatFs(4096, 1 << 20, 0, FILES + 5, 0, 255);
  }

  @Override
  public byte[] getxattr(long ino, String name) throws FsException {
    if (ino == HELLO && name.equals("user.test")) {
      return "xattr-value".getBytes(StandardCharsets.UTF_8);
    }
    attr(ino);
    throw new FsException(Errno.ENODATA, name);
  }

  @Override
  public List<String> listxattr(long ino) throws FsException {
    attr(ino);
    return ino == HELLO ? List.of("user.test") : List.of();
  }

  @Override
  public Duration attrTimeout() {
    return Duration.ofSeconds(1);
  }

  @Override
  public Duration entryTimeout() {
    return Duration.ofSeconds(1);
  }

  private static void sleep(long ms) {
    if (ms > 0) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
