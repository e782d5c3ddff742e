package io.ossfuse.fuse.jnr;

import io.ossfuse.fs.DirEntry;
import io.ossfuse.fs.Errno;
import io.ossfuse.fs.Errors;
import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.OpenFile;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fs.StatFs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import jnr.ffi.Pointer;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * Translates libfuse's path-based high-level API to the inode-based {@link ReadOnlyFileSystem}.
 * Paths are resolved to inodes component by component; {@link PathInodes} holds one lookup
 * reference per path it resolved, for a bounded number of paths (libfuse does its own node
 * bookkeeping, so it never forwards forgets). Every failure leaves through {@link Errors#reply}.
 * Write-ish operations answer EROFS (the mount is also "ro").
 */
final class JnrAdapter extends FuseStubFS {
  private static final com.kenai.jffi.MemoryIO MEMORY = com.kenai.jffi.MemoryIO.getInstance();
  private final ReadOnlyFileSystem fs;
  private final PathInodes inodes;

  /**
   * The size and mtime last given to the kernel per inode: what it caches for the attribute
   * timeout. libfuse 2.9's high-level API cannot tell the kernel to drop them (no inode
   * notifications).
   */
  private final Map<Long, KernelAttr> reported = new ConcurrentHashMap<>();

  /**
   * The inode of each open file and directory handle: what reads and releases use, whatever became
   * of the path.
   */
  private final Map<Long, Long> openFiles = new ConcurrentHashMap<>(),
      openDirs = new ConcurrentHashMap<>();

  private record KernelAttr(long size, Instant mtime) {
    static KernelAttr of(FileAttr a) {
      return new KernelAttr(a.size(), a.mtime());
    }
  }

  /**
   * struct fuse_file_info of libfuse 2.9 (64-bit): flags@0, fh_old@8, writepage@16, then the bit
   * fields at byte 20 (bit 0 direct_io, bit 1 keep_cache), fh@24. jnr-fuse maps the bits at the
   * wrong offset, so they are written here directly.
   */
  static final int FI_BITS_OFFSET = 20;

  static final int FI_DIRECT_IO = 1, FI_KEEP_CACHE = 1 << 1;

  JnrAdapter(ReadOnlyFileSystem fs) {
    this(fs, PathInodes.DEFAULT_CAPACITY);
  }

  JnrAdapter(ReadOnlyFileSystem fs, int pathCapacity) {
    this.fs = fs;
    this.inodes = new PathInodes(fs, pathCapacity, reported::remove);
  }

  private static void fill(FileStat st, FileAttr a) {
    st.st_mode.set(a.mode());
    st.st_ino.set(a.ino());
    st.st_size.set(a.size());
    st.st_nlink.set(a.nlink());
    st.st_uid.set(a.uid());
    st.st_gid.set(a.gid());
    st.st_blocks.set(a.blocks512());
    st.st_blksize.set(4096);
    setTime(st.st_mtim, a);
    setTime(st.st_ctim, a);
    setTime(st.st_atim, a);
  }

  private static void setTime(Timespec t, FileAttr a) {
    t.tv_sec.set(a.mtime().getEpochSecond());
    t.tv_nsec.set(a.mtime().getNano());
  }

  /** The body of one libfuse operation: its result, or an FsException. */
  @FunctionalInterface
  private interface Body {
    int run() throws FsException;
  }

  /** Runs {@code op} on {@code path}: its result, or the negative errno its failure answers. */
  private static int call(String op, String path, Body body) {
    try {
      return body.run();
    } catch (FsException | RuntimeException e) {
      return Errors.reply(e, op, path);
    }
  }

  @Override
  public int getattr(String path, FileStat stat) {
    return call(
        "getattr",
        path,
        () -> {
          FileAttr a;
          try {
            a = fs.getattr(inodes.resolve(path));
          } catch (FsException e) {
            if (e.errno() == Errno.ESTALE) inodes.drop(path);
            throw e;
          }
          reported.put(a.ino(), KernelAttr.of(a));
          fill(stat, a);
          return 0;
        });
  }

  @Override
  public int opendir(String path, FuseFileInfo fi) {
    return call(
        "opendir",
        path,
        () -> {
          long ino = inodes.resolve(path);
          long fh = fs.opendir(ino);
          fi.fh.set(fh);
          openDirs.put(fh, ino);
          inodes.opened(ino);
          return 0;
        });
  }

  @Override
  public int readdir(
      String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
    return call(
        "readdir",
        path,
        () -> {
          fs.readdir(
              inodeOf(openDirs, path, fi),
              fi.fh.get(),
              offset,
              (DirEntry e) -> filter.apply(buf, e.name(), null, e.nextOffset()) == 0);
          return 0;
        });
  }

  @Override
  public int releasedir(String path, FuseFileInfo fi) {
    return call(
        "releasedir",
        path,
        () -> {
          releaseHandle(openDirs, fi, ino -> fs.releasedir(ino, fi.fh.get()));
          return 0;
        });
  }

  @Override
  public int open(String path, FuseFileInfo fi) {
    return call(
        "open",
        path,
        () -> {
          long ino = inodes.resolve(path);
          OpenFile f = fs.open(ino, fi.flags.get());
          if (f.backing() != null) f.backing().release(); // libfuse 2.9 has no passthrough
          fi.fh.set(f.fh());
          int bits = openBits(f);
          if (bits != 0) {
            jnr.ffi.Pointer p = jnr.ffi.Struct.getMemory(fi);
            p.putInt(FI_BITS_OFFSET, p.getInt(FI_BITS_OFFSET) | bits);
          }
          openFiles.put(f.fh(), ino);
          inodes.opened(ino);
          return 0;
        });
  }

  /**
   * The fuse_file_info bits for the filesystem's page-cache decision. The kernel's cached size and
   * mtime cannot be dropped from here, so an open whose version has other attributes than the
   * kernel holds bypasses the page cache (direct I/O reads are not cut at the cached size); without
   * keep_cache its open also drops the pages, which then are of no version anyone reads.
   */
  int openBits(OpenFile f) {
    KernelAttr held = reported.get(f.attr().ino());
    boolean attrsCurrent = held == null || held.equals(KernelAttr.of(f.attr()));
    return switch (f.pageCache()) {
      case KEEP -> attrsCurrent ? FI_KEEP_CACHE : FI_DIRECT_IO | FI_KEEP_CACHE;
      case DROP -> attrsCurrent ? 0 : FI_DIRECT_IO;
      case BYPASS -> FI_DIRECT_IO | FI_KEEP_CACHE;
    };
  }

  @Override
  public int read(
      String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    return call(
        "read",
        path,
        () -> {
          int len = (int) Math.min(size, JnrFuseTransport.MAX_READ * 8L);
          long address = buf.address();
          if (address != 0) {
            // Zero-copy: the filesystem writes straight into libfuse's reply buffer.
            return fs.read(
                inodeOf(openFiles, path, fi),
                fi.fh.get(),
                offset,
                MEMORY.newDirectByteBuffer(address, len));
          }
          ByteBuffer dst = ByteBuffer.allocate(len);
          int n = fs.read(inodeOf(openFiles, path, fi), fi.fh.get(), offset, dst);
          buf.put(0, dst.array(), 0, n);
          return n;
        });
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    return call(
        "release",
        path,
        () -> {
          releaseHandle(openFiles, fi, ino -> fs.release(ino, fi.fh.get()));
          return 0;
        });
  }

  /** The inode {@code fi}'s handle was opened on (its path may have been forgotten since). */
  private long inodeOf(Map<Long, Long> handles, String path, FuseFileInfo fi) throws FsException {
    Long ino = handles.get(fi.fh.get());
    return ino != null ? ino : inodes.resolve(path);
  }

  /**
   * Releases {@code fi}'s handle, one of {@code handles}; one not opened here has nothing to
   * release.
   */
  private void releaseHandle(Map<Long, Long> handles, FuseFileInfo fi, LongConsumer release) {
    Long ino = handles.remove(fi.fh.get());
    if (ino == null) return;
    try {
      release.accept(ino);
    } finally {
      inodes.released(ino);
    }
  }

  @Override
  public int statfs(String path, Statvfs st) {
    return call(
        "statfs",
        path,
        () -> {
          StatFs s = fs.statfs();
          st.f_bsize.set(s.blockSize());
          st.f_frsize.set(s.blockSize());
          st.f_blocks.set(s.blocks());
          st.f_bfree.set(s.blocksFree());
          st.f_bavail.set(s.blocksFree());
          st.f_files.set(s.files());
          st.f_ffree.set(s.filesFree());
          st.f_favail.set(s.filesFree());
          st.f_namemax.set(s.nameMax());
          return 0;
        });
  }

  @Override
  public int getxattr(String path, String name, Pointer value, @size_t long size) {
    return call(
        "getxattr",
        path,
        () -> {
          byte[] v = fs.getxattr(inodes.resolve(path), name);
          if (size == 0) return v.length;
          if (size < v.length) return Errno.ERANGE.negative();
          value.put(0, v, 0, v.length);
          return v.length;
        });
  }

  @Override
  public int listxattr(String path, Pointer list, @size_t long size) {
    return call(
        "listxattr",
        path,
        () -> {
          List<String> names = fs.listxattr(inodes.resolve(path));
          ByteBuffer b =
              ByteBuffer.allocate(
                  names.stream()
                      .mapToInt(n -> n.getBytes(StandardCharsets.UTF_8).length + 1)
                      .sum());
          for (String n : names) b.put(n.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
          if (size == 0) return b.capacity();
          if (size < b.capacity()) return Errno.ERANGE.negative();
          list.put(0, b.array(), 0, b.capacity());
          return b.capacity();
        });
  }

  @Override
  public int access(String path, int mask) {
    return call(
        "access",
        path,
        () -> {
          inodes.resolve(path);
          return (mask & 2) != 0 ? Errno.EROFS.negative() : 0; // W_OK
        });
  }

  // ---- everything that would modify the filesystem ------------------------------------------
  private static final int EROFS = Errno.EROFS.negative();

  @Override
  public int create(String path, @mode_t long mode, FuseFileInfo fi) {
    return EROFS;
  }

  @Override
  public int mknod(String path, @mode_t long mode, @dev_t long rdev) {
    return EROFS;
  }

  @Override
  public int mkdir(String path, @mode_t long mode) {
    return EROFS;
  }

  @Override
  public int unlink(String path) {
    return EROFS;
  }

  @Override
  public int rmdir(String path) {
    return EROFS;
  }

  @Override
  public int symlink(String oldpath, String newpath) {
    return EROFS;
  }

  @Override
  public int rename(String oldpath, String newpath) {
    return EROFS;
  }

  @Override
  public int link(String oldpath, String newpath) {
    return EROFS;
  }

  @Override
  public int chmod(String path, @mode_t long mode) {
    return EROFS;
  }

  @Override
  public int chown(String path, @uid_t long uid, @gid_t long gid) {
    return EROFS;
  }

  @Override
  public int truncate(String path, @off_t long size) {
    return EROFS;
  }

  @Override
  public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
    return EROFS;
  }

  @Override
  public int write(
      String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    return EROFS;
  }

  @Override
  public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
    return EROFS;
  }

  @Override
  public int removexattr(String path, String name) {
    return EROFS;
  }

  @Override
  public int utimens(String path, Timespec[] timespec) {
    return EROFS;
  }

  @Override
  public int fallocate(
      String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
    return EROFS;
  }
}
