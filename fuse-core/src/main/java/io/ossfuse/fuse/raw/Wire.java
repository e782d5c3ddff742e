package io.ossfuse.fuse.raw;

/**
 * Constants of the kernel FUSE protocol, include/uapi/linux/fuse.h (protocol 7.40 for RESEND).
 * Offsets are relative to the start of a request/reply, which begins with its header.
 */
final class Wire {
  static final int KERNEL_MAJOR = 7;

  /** The highest minor we speak: 7.40 added FUSE_NOTIFY_RESEND. */
  static final int OUR_MINOR = 40;

  static final int IN_HEADER = 40;
  static final int OUT_HEADER = 16;

  // opcodes
  static final int LOOKUP = 1,
      FORGET = 2,
      GETATTR = 3,
      SETATTR = 4,
      READLINK = 5,
      SYMLINK = 6,
      MKNOD = 8,
      MKDIR = 9,
      UNLINK = 10,
      RMDIR = 11,
      RENAME = 12,
      LINK = 13,
      OPEN = 14,
      READ = 15,
      WRITE = 16,
      STATFS = 17,
      RELEASE = 18,
      FSYNC = 20,
      SETXATTR = 21,
      GETXATTR = 22,
      LISTXATTR = 23,
      REMOVEXATTR = 24,
      FLUSH = 25,
      INIT = 26,
      OPENDIR = 27,
      READDIR = 28,
      RELEASEDIR = 29,
      FSYNCDIR = 30,
      GETLK = 31,
      SETLK = 32,
      SETLKW = 33,
      ACCESS = 34,
      CREATE = 35,
      INTERRUPT = 36,
      BMAP = 37,
      DESTROY = 38,
      IOCTL = 39,
      POLL = 40,
      NOTIFY_REPLY = 41,
      BATCH_FORGET = 42,
      FALLOCATE = 43,
      READDIRPLUS = 44,
      RENAME2 = 45,
      LSEEK = 46,
      COPY_FILE_RANGE = 47,
      SETUPMAPPING = 48,
      REMOVEMAPPING = 49,
      SYNCFS = 50,
      TMPFILE = 51,
      STATX = 52,
      COPY_FILE_RANGE_64 = 53;

  // fuse_init_in.flags / fuse_init_out.flags (low 32 bits) and flags2 (high 32 bits)
  static final long ASYNC_READ = 1L << 0,
      EXPORT_SUPPORT = 1L << 4,
      BIG_WRITES = 1L << 5,
      AUTO_INVAL_DATA = 1L << 12,
      DO_READDIRPLUS = 1L << 13,
      READDIRPLUS_AUTO = 1L << 14,
      ASYNC_DIO = 1L << 15,
      PARALLEL_DIROPS = 1L << 18,
      MAX_PAGES = 1L << 22,
      INIT_EXT = 1L << 30,
      PASSTHROUGH = 1L << 37,
      HAS_RESEND = 1L << 39;

  /** Set by the kernel in {@code unique} of a request it re-sent after FUSE_NOTIFY_RESEND. */
  static final long UNIQUE_RESEND = 1L << 63;

  /** fuse_notify_code: re-queue every request read but not answered. */
  static final int NOTIFY_RESEND = 7;

  /** fuse_notify_code: drop cached attributes (and, for offset >= 0, pages) of an inode. */
  static final int NOTIFY_INVAL_INODE = 2;

  /** struct fuse_notify_inval_inode_out: u64 ino, s64 off, s64 len. */
  static final int NOTIFY_INVAL_INODE_SIZE = 24;

  // fuse_open_out.open_flags
  /** Bypass the page cache for this open file. */
  static final int FOPEN_DIRECT_IO = 1 << 0;

  static final int FOPEN_KEEP_CACHE = 1 << 1;

  /** close() sends no FLUSH (a read-only fs has nothing to flush; see Dispatcher FLUSH). */
  static final int FOPEN_NOFLUSH = 1 << 5;

  /**
   * Reads (and mmap) of this open file go to the backing file named by fuse_open_out.backing_id.
   */
  static final int FOPEN_PASSTHROUGH = 1 << 7;

  /**
   * fuse_init_out.max_stack_depth we answer with passthrough: backing files may live on a plain
   * filesystem (tmpfs, ext4), not on another stacked one (overlayfs, FUSE).
   */
  static final int MAX_STACK_DEPTH = 1;

  static final int ATTR_SIZE = 88;
  static final int ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
  static final int ATTR_OUT_SIZE = 16 + ATTR_SIZE;
  static final int OPEN_OUT_SIZE = 16;
  static final int STATFS_OUT_SIZE = 80;
  static final int INIT_OUT_SIZE = 64;
  static final int XATTR_OUT_SIZE = 8;
  static final int DIRENT_HEADER = 24;

  static final int PAGE_SIZE = 4096;

  private Wire() {}

  /** True for every opcode that would modify the filesystem: answered EROFS. */
  static boolean isWrite(int opcode) {
    switch (opcode) {
      case SETATTR:
      case SYMLINK:
      case MKNOD:
      case MKDIR:
      case UNLINK:
      case RMDIR:
      case RENAME:
      case LINK:
      case WRITE:
      case SETXATTR:
      case REMOVEXATTR:
      case CREATE:
      case FALLOCATE:
      case RENAME2:
      case COPY_FILE_RANGE:
      case TMPFILE:
      case COPY_FILE_RANGE_64:
        return true;
      default:
        return false;
    }
  }

  static int align8(int n) {
    return (n + 7) & ~7;
  }
}
