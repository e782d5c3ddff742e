package io.ossfuse.fs;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;

/**
 * The filesystem every FUSE transport serves. Inode-based like the kernel protocol: the root is
 * {@link #ROOT_INO}; an inode number, once handed out, names the same path for the life of the
 * inode table (which may outlive the process, see the seamless transport). Thread-safe. Every
 * failure is an {@link FsException} carrying the errno to answer with.
 */
public interface ReadOnlyFileSystem extends Closeable {
  long ROOT_INO = 1;

  /**
   * Looks {@code name} up in directory {@code parent}; counts one kernel reference to the result.
   */
  FileAttr lookup(long parent, String name) throws FsException;

  /** The kernel dropped {@code nlookup} references to {@code ino}. */
  void forget(long ino, long nlookup);

  FileAttr getattr(long ino) throws FsException;

  /** Opens a directory for reading; the handle lets readdir continue a listing consistently. */
  long opendir(long ino) throws FsException;

  /**
   * Lists directory {@code ino} from {@code offset} (0 = the start; "." and ".." come first),
   * handing entries to {@code filler} until it returns false or the directory ends.
   */
  void readdir(long ino, long fh, long offset, DirFiller filler) throws FsException;

  void releasedir(long ino, long fh);

  /**
   * Opens a regular file at its current object version; write access is refused with EROFS. Every
   * read of the handle is of that version or fails; the transport applies the page-cache decision.
   */
  OpenFile open(long ino, int flags) throws FsException;

  /** Reads up to {@code dst.remaining()} bytes at {@code offset}; returns the count (0 at EOF). */
  int read(long ino, long fh, long offset, ByteBuffer dst) throws FsException;

  void release(long ino, long fh);

  StatFs statfs() throws FsException;

  /** The value of extended attribute {@code name}; ENODATA when absent. */
  byte[] getxattr(long ino, String name) throws FsException;

  List<String> listxattr(long ino) throws FsException;

  /** How long the kernel may cache attributes and entries (0 = ask every time). */
  Duration attrTimeout();

  Duration entryTimeout();

  @FunctionalInterface
  interface DirFiller {
    /** Returns false when the reply buffer is full; the entry was then not taken. */
    boolean add(DirEntry entry);
  }

  @Override
  default void close() {}
}
