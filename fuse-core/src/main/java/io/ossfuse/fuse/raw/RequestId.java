package io.ossfuse.fuse.raw;

import java.nio.ByteBuffer;

/**
 * What identifies a request across a FUSE_NOTIFY_RESEND, when the kernel hands it to the next
 * child: its opcode, node and — for reads — the byte range; for other requests a hash of their body
 * (a LOOKUP's name, an OPEN's flags). Not the {@code unique} id: the kernel re-sends with bit 63
 * set ({@link Wire#UNIQUE_RESEND}) and reuses ids once answered. A READ's file handle is left out
 * too, so a retry through a new open() is the same request.
 *
 * @param key a 64-bit hash of the other fields (and the body), for cheap comparison
 * @param size 0 unless a read ({@link #isRead})
 */
record RequestId(long key, int opcode, long node, long offset, int size) {
  /** Bytes of a non-read body that go into the key (a name is at most 255 bytes). */
  private static final int BODY_HASHED = 512;

  /**
   * Whether this request takes a reply at all (never FORGET, INTERRUPT, INIT...): only those are
   * tracked.
   */
  static boolean tracked(int opcode) {
    switch (opcode) {
      case Wire.FORGET:
      case Wire.BATCH_FORGET:
      case Wire.INTERRUPT:
      case Wire.NOTIFY_REPLY:
      case Wire.INIT:
      case Wire.DESTROY:
        return false;
      default:
        return true;
    }
  }

  static boolean isRead(int opcode) {
    return opcode == Wire.READ || opcode == Wire.READDIR || opcode == Wire.READDIRPLUS;
  }

  /** The key of the request of {@code n} bytes at index 0 of {@code in}; no allocation. */
  static long keyOf(ByteBuffer in, int n) {
    int opcode = in.getInt(4);
    long node = in.getLong(16);
    final int a = Wire.IN_HEADER;
    if (isRead(opcode) && n >= a + 20) {
      return key(opcode, node, in.getLong(a + 8), in.getInt(a + 16));
    }
    long h = 0x9E3779B97F4A7C15L;
    int end = Math.min(n, a + BODY_HASHED);
    int i = a;
    for (; i + 8 <= end; i += 8) {
      h = mix(h ^ in.getLong(i));
    }
    for (; i < end; i++) {
      h = mix(h ^ (in.get(i) & 0xff));
    }
    return mix(key(opcode, node, 0, 0) ^ h);
  }

  /** The whole id of the request at index 0 of {@code in} (rare paths only: allocates). */
  static RequestId of(ByteBuffer in, int n) {
    int opcode = in.getInt(4);
    long node = in.getLong(16);
    boolean read = isRead(opcode) && n >= Wire.IN_HEADER + 20;
    return new RequestId(
        keyOf(in, n),
        opcode,
        node,
        read ? in.getLong(Wire.IN_HEADER + 8) : 0,
        read ? in.getInt(Wire.IN_HEADER + 16) : 0);
  }

  static long key(int opcode, long node, long offset, int size) {
    return mix(mix(mix(opcode * 0x100000001B3L ^ node) ^ offset) ^ size);
  }

  /** A 64-bit finalizer (splitmix64): every input bit affects every output bit. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Whether a request with these fields is this one: the same key, or for a read of the same node a
   * range that overlaps this one's (the kernel retries a failed readahead page by page).
   */
  boolean covers(long otherKey, int otherOpcode, long otherNode, long otherOffset, int otherSize) {
    if (otherKey == key) {
      return true;
    }
    return isRead(opcode)
        && otherOpcode == opcode
        && otherNode == node
        && otherOffset < offset + size
        && offset < otherOffset + otherSize;
  }

  /** E.g. {@code READ node 7 bytes 0+4096} or {@code LOOKUP under node 1}: for log lines. */
  String describe() {
    String op = name(opcode);
    if (isRead(opcode)) {
      return op + " node " + node + " bytes " + offset + "+" + size;
    }
    return op + (opcode == Wire.LOOKUP ? " under node " : " node ") + node;
  }

  static String name(int opcode) {
    switch (opcode) {
      case Wire.LOOKUP:
        return "LOOKUP";
      case Wire.GETATTR:
        return "GETATTR";
      case Wire.OPEN:
        return "OPEN";
      case Wire.READ:
        return "READ";
      case Wire.OPENDIR:
        return "OPENDIR";
      case Wire.READDIR:
        return "READDIR";
      case Wire.READDIRPLUS:
        return "READDIRPLUS";
      case Wire.RELEASE:
        return "RELEASE";
      case Wire.RELEASEDIR:
        return "RELEASEDIR";
      case Wire.STATFS:
        return "STATFS";
      case Wire.GETXATTR:
        return "GETXATTR";
      case Wire.LISTXATTR:
        return "LISTXATTR";
      case Wire.ACCESS:
        return "ACCESS";
      default:
        return "opcode " + opcode;
    }
  }
}
