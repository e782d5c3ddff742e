package io.ossfuse.fuse.raw;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Builds kernel requests as the kernel lays them out, for tests without a kernel. */
final class Requests {
  private final ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

  static Requests op(int opcode, long unique, long node) {
    Requests r = new Requests();
    r.b
        .putInt(0)
        .putInt(opcode)
        .putLong(unique)
        .putLong(node)
        .putInt(0)
        .putInt(0)
        .putInt(1234)
        .putInt(0);
    return r;
  }

  Requests i32(int v) {
    b.putInt(v);
    return this;
  }

  Requests i64(long v) {
    b.putLong(v);
    return this;
  }

  Requests cstr(String s) {
    b.put(s.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
    return this;
  }

  /** fuse_read_in / readdir: fh, offset, size, flags, lock_owner, flags, padding. */
  Requests readIn(long fh, long offset, int size) {
    return i64(fh).i64(offset).i32(size).i32(0).i64(0).i32(0).i32(0);
  }

  ByteBuffer build() {
    int n = b.position();
    b.putInt(0, n);
    ByteBuffer copy = ByteBuffer.allocateDirect(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    copy.put(b.duplicate().flip());
    return copy.clear().limit(1 << 16);
  }

  int length() {
    return b.position();
  }
}
