package io.ossfuse.fuse.raw;

import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.StatFs;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;

/**
 * Writes the kernel's reply structures at absolute indexes of a little-endian buffer. Stateless
 * apart from the cache timeouts, which the filesystem fixes for a session.
 */
final class Encoder {
  /** st_blksize we report: a hint for applications' buffer sizes (cat, cp use max(this, 128K)). */
  static final int BLKSIZE = 128 * 1024;

  private final long entrySec;
  private final int entryNsec;
  private final long attrSec;
  private final int attrNsec;

  Encoder(Duration entryTimeout, Duration attrTimeout) {
    this.entrySec = entryTimeout.getSeconds();
    this.entryNsec = entryTimeout.getNano();
    this.attrSec = attrTimeout.getSeconds();
    this.attrNsec = attrTimeout.getNano();
  }

  /** fuse_out_header at index 0. */
  static void header(ByteBuffer b, int len, int error, long unique) {
    b.putInt(0, len);
    b.putInt(4, error);
    b.putLong(8, unique);
  }

  /** struct fuse_attr (88 bytes) at {@code p}. */
  static void attr(ByteBuffer b, int p, FileAttr a) {
    Instant t = a.mtime() == null ? Instant.EPOCH : a.mtime();
    long sec = t.getEpochSecond();
    int nsec = t.getNano();
    b.putLong(p, a.ino());
    b.putLong(p + 8, a.size());
    b.putLong(p + 16, a.blocks512());
    b.putLong(p + 24, sec);
    b.putLong(p + 32, sec);
    b.putLong(p + 40, sec);
    b.putInt(p + 48, nsec);
    b.putInt(p + 52, nsec);
    b.putInt(p + 56, nsec);
    b.putInt(p + 60, a.mode());
    b.putInt(p + 64, a.nlink());
    b.putInt(p + 68, a.uid());
    b.putInt(p + 72, a.gid());
    b.putInt(p + 76, 0);
    b.putInt(p + 80, BLKSIZE);
    b.putInt(p + 84, 0);
  }

  /** struct fuse_entry_out (128 bytes) at {@code p}; returns its size. */
  int entry(ByteBuffer b, int p, FileAttr a) {
    b.putLong(p, a.ino());
    b.putLong(p + 8, 0L);
    b.putLong(p + 16, entrySec);
    b.putLong(p + 24, attrSec);
    b.putInt(p + 32, entryNsec);
    b.putInt(p + 36, attrNsec);
    attr(b, p + 40, a);
    return Wire.ENTRY_OUT_SIZE;
  }

  /** A negative entry (nodeid 0) the kernel may cache for {@code timeout}: "no such name". */
  static int negativeEntry(ByteBuffer b, int p, Duration timeout) {
    emptyEntry(b, p);
    b.putLong(p + 16, timeout.getSeconds());
    b.putInt(p + 32, timeout.getNano());
    return Wire.ENTRY_OUT_SIZE;
  }

  /** An entry_out with nodeid 0: readdirplus's "no attributes for this one" (kernel skips it). */
  static void emptyEntry(ByteBuffer b, int p) {
    for (int i = 0; i < Wire.ENTRY_OUT_SIZE; i += 8) {
      b.putLong(p + i, 0L);
    }
  }

  /** struct fuse_attr_out (104 bytes) at {@code p}. */
  int attrOut(ByteBuffer b, int p, FileAttr a) {
    b.putLong(p, attrSec);
    b.putInt(p + 8, attrNsec);
    b.putInt(p + 12, 0);
    attr(b, p + 16, a);
    return Wire.ATTR_OUT_SIZE;
  }

  /** struct fuse_open_out (16 bytes). */
  static int openOut(ByteBuffer b, int p, long fh, int openFlags) {
    return openOut(b, p, fh, openFlags, 0);
  }

  /** struct fuse_open_out with a backing id (FOPEN_PASSTHROUGH; protocol 7.40). */
  static int openOut(ByteBuffer b, int p, long fh, int openFlags, int backingId) {
    b.putLong(p, fh);
    b.putInt(p + 8, openFlags);
    b.putInt(p + 12, backingId);
    return Wire.OPEN_OUT_SIZE;
  }

  /**
   * A FUSE_NOTIFY_INVAL_INODE message (header included) at index 0; returns its length. An {@code
   * offset} below 0 drops the cached attributes only, not pages.
   */
  static int notifyInvalInode(ByteBuffer b, long node, long offset, long length) {
    int len = Wire.OUT_HEADER + Wire.NOTIFY_INVAL_INODE_SIZE;
    header(b, len, Wire.NOTIFY_INVAL_INODE, 0);
    b.putLong(Wire.OUT_HEADER, node);
    b.putLong(Wire.OUT_HEADER + 8, offset);
    b.putLong(Wire.OUT_HEADER + 16, length);
    return len;
  }

  /** struct fuse_statfs_out (80 bytes). */
  static int statfs(ByteBuffer b, int p, StatFs s) {
    b.putLong(p, s.blocks());
    b.putLong(p + 8, s.blocksFree());
    b.putLong(p + 16, s.blocksFree());
    b.putLong(p + 24, s.files());
    b.putLong(p + 32, s.filesFree());
    b.putInt(p + 40, (int) s.blockSize());
    b.putInt(p + 44, s.nameMax());
    b.putInt(p + 48, (int) s.blockSize());
    for (int i = 52; i < Wire.STATFS_OUT_SIZE; i += 4) {
      b.putInt(p + i, 0);
    }
    return Wire.STATFS_OUT_SIZE;
  }

  /** struct fuse_getxattr_out: the size a getxattr/listxattr with size 0 asks for. */
  static int xattrSize(ByteBuffer b, int p, int size) {
    b.putInt(p, size);
    b.putInt(p + 4, 0);
    return Wire.XATTR_OUT_SIZE;
  }

  /**
   * struct fuse_dirent (+ name, padded to 8) at {@code p}; returns its padded size. The caller
   * checked the room with {@link #direntSize}.
   */
  static int dirent(
      ByteBuffer b, int p, long ino, long nextOffset, int type, byte[] name, int nameLen) {
    b.putLong(p, ino);
    b.putLong(p + 8, nextOffset);
    b.putInt(p + 16, nameLen);
    b.putInt(p + 20, type);
    b.put(p + Wire.DIRENT_HEADER, name, 0, nameLen);
    int size = direntSize(nameLen);
    for (int i = Wire.DIRENT_HEADER + nameLen; i < size; i++) {
      b.put(p + i, (byte) 0);
    }
    return size;
  }

  static int direntSize(int nameLen) {
    return Wire.align8(Wire.DIRENT_HEADER + nameLen);
  }

  static int direntPlusSize(int nameLen) {
    return Wire.align8(Wire.ENTRY_OUT_SIZE + Wire.DIRENT_HEADER + nameLen);
  }
}
