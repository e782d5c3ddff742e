package io.ossfuse.fuse.raw;

import io.ossfuse.fs.DirEntry;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.ReadOnlyFileSystem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Fills a READDIR or READDIRPLUS reply. One per worker, reset for every request.
 *
 * <p>READDIRPLUS hands the kernel a reference to each entry (except "." and ".."), exactly like a
 * LOOKUP: so each entry is looked up through the filesystem, which counts that reference and gets
 * it back through FORGET. Room is checked before the lookup, so an entry that does not fit is never
 * counted.
 */
final class DirBuffer implements ReadOnlyFileSystem.DirFiller {
  private final ReadOnlyFileSystem fs;
  private final Encoder encoder;
  private ByteBuffer out;
  private int pos;
  private int limit;
  private boolean plus;
  private long dir;

  /** Scratch for ASCII names (the common case); longer or non-ASCII names are encoded anew. */
  private final byte[] name = new byte[256];

  private int nameLen;

  DirBuffer(ReadOnlyFileSystem fs, Encoder encoder) {
    this.fs = fs;
    this.encoder = encoder;
  }

  void reset(ByteBuffer out, int start, int limit, boolean plus, long dir) {
    this.out = out;
    this.pos = start;
    this.limit = limit;
    this.plus = plus;
    this.dir = dir;
  }

  int position() {
    return pos;
  }

  @Override
  public boolean add(DirEntry e) {
    byte[] n = utf8(e.name());
    int len = nameLen;
    int size = plus ? Encoder.direntPlusSize(len) : Encoder.direntSize(len);
    if (pos + size > limit) {
      return false;
    }
    int type = e.attr().type().direntType;
    if (!plus) {
      pos += Encoder.dirent(out, pos, e.attr().ino(), e.nextOffset(), type, n, len);
      return true;
    }
    if (isDot(n, len)) {
      Encoder.emptyEntry(out, pos);
      Encoder.dirent(out, pos + Wire.ENTRY_OUT_SIZE, e.attr().ino(), e.nextOffset(), type, n, len);
    } else {
      try {
        encoder.entry(out, pos, fs.lookup(dir, e.name()));
      } catch (FsException | RuntimeException ex) {
        Encoder.emptyEntry(out, pos); // the kernel will LOOKUP it if it needs it
      }
      Encoder.dirent(out, pos + Wire.ENTRY_OUT_SIZE, e.attr().ino(), e.nextOffset(), type, n, len);
    }
    pos += size;
    return true;
  }

  private byte[] utf8(String s) {
    int n = s.length();
    boolean ascii = n <= name.length;
    for (int i = 0; ascii && i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        ascii = false;
      } else {
        name[i] = (byte) c;
      }
    }
    if (ascii) {
      nameLen = n;
      return name;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    nameLen = b.length;
    return b;
  }

  private static boolean isDot(byte[] n, int len) {
    return (len == 1 && n[0] == '.') || (len == 2 && n[0] == '.' && n[1] == '.');
  }
}
