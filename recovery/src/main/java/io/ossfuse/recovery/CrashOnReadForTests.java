package io.ossfuse.recovery;

import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.OpenFile;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fs.StatFs;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * TEST ONLY — never set in production. {@code OSSFUSE_TEST_CRASH_ON_READ=<path under the mount
 * root>} in the daemon's environment (children inherit it) makes every daemon-held child halt
 * ({@link Runtime#halt}, no cleanup, as an OOM kill would) when it serves a read of that file (or
 * of any file looked up under the same name): a poison request, to test that the mount stays served
 * and only that read fails (docs/RECOVERY.md, "Poison requests"). Unset (the default) nothing is
 * wrapped; set, each child says so in its log.
 */
final class CrashOnReadForTests implements ReadOnlyFileSystem {
  static final String ENV = "OSSFUSE_TEST_CRASH_ON_READ";

  /** The exit status of a halted child. */
  static final int STATUS = 86;

  private final ReadOnlyFileSystem fs;
  private final String path;
  private final String name;
  private final Set<Long> poisoned = ConcurrentHashMap.newKeySet();

  private CrashOnReadForTests(ReadOnlyFileSystem fs, String path) {
    this.fs = fs;
    this.path = path;
    this.name = path.substring(path.lastIndexOf('/') + 1);
    // A successor knows the file by its node id only (the kernel re-sends the read, not the
    // lookup).
    long ino = ROOT_INO;
    try {
      for (String part : path.split("/")) ino = fs.lookup(ino, part).ino();
      poisoned.add(ino);
    } catch (FsException absent) {
      // noticed at its lookup instead
    }
  }

  /** {@code fs} itself unless the test-only variable is set in {@code env}. */
  static ReadOnlyFileSystem wrapIfAsked(ReadOnlyFileSystem fs, Map<String, String> env) {
    String p = env.get(ENV);
    if (p == null || p.isBlank()) return fs;
    String path = p.replaceAll("^/+|/+$", "");
    System.err.println(
        "ossfuse child "
            + ProcessHandle.current().pid()
            + ": TEST ONLY: "
            + ENV
            + " is set: a read of /"
            + path
            + " halts this process");
    return new CrashOnReadForTests(fs, path);
  }

  @Override
  public FileAttr lookup(long parent, String n) throws FsException {
    FileAttr a = fs.lookup(parent, n);
    if (n.equals(name)) poisoned.add(a.ino());
    return a;
  }

  @Override
  public int read(long ino, long fh, long offset, ByteBuffer dst) throws FsException {
    if (poisoned.contains(ino)) {
      System.err.println(
          "ossfuse child "
              + ProcessHandle.current().pid()
              + ": TEST ONLY: halting on a read of /"
              + path);
      Runtime.getRuntime().halt(STATUS);
    }
    return fs.read(ino, fh, offset, dst);
  }

  @Override
  public void forget(long ino, long nlookup) {
    fs.forget(ino, nlookup);
  }

  @Override
  public FileAttr getattr(long ino) throws FsException {
    return fs.getattr(ino);
  }

  @Override
  public long opendir(long ino) throws FsException {
    return fs.opendir(ino);
  }

  @Override
  public void readdir(long ino, long fh, long offset, DirFiller filler) throws FsException {
    fs.readdir(ino, fh, offset, filler);
  }

  @Override
  public void releasedir(long ino, long fh) {
    fs.releasedir(ino, fh);
  }

  @Override
  public OpenFile open(long ino, int flags) throws FsException {
    return fs.open(ino, flags);
  }

  @Override
  public void release(long ino, long fh) {
    fs.release(ino, fh);
  }

  @Override
  public StatFs statfs() throws FsException {
    return fs.statfs();
  }

  @Override
  public byte[] getxattr(long ino, String n) throws FsException {
    return fs.getxattr(ino, n);
  }

  @Override
  public List<String> listxattr(long ino) throws FsException {
    return fs.listxattr(ino);
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
