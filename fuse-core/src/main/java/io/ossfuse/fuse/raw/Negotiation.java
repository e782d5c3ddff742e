package io.ossfuse.fuse.raw;

import java.nio.ByteBuffer;

/**
 * The parameters of one INIT exchange: what the kernel offered and what we answered. Persisted by
 * {@link InitStore} so a later child generation can serve the connection without seeing INIT.
 *
 * @param session the {@code SessionState.sessionId()} this INIT belongs to
 * @param kernelMinor the kernel's protocol minor
 * @param kernelFlags the kernel's offered flags (flags | flags2 << 32)
 * @param minor the minor we answered (min of kernel's and ours)
 * @param flags the flags we answered
 */
record Negotiation(
    String session,
    int kernelMajor,
    int kernelMinor,
    long kernelFlags,
    int minor,
    long flags,
    int maxReadahead,
    int maxWrite,
    int maxPages) {

  boolean resendSupported() {
    return (kernelFlags & Wire.HAS_RESEND) != 0;
  }

  /** Whether we answered FUSE_PASSTHROUGH: OPEN may then be answered with a backing id. */
  boolean passthrough() {
    return (flags & Wire.PASSTHROUGH) != 0;
  }

  /** What we ask for when the kernel offers it. */
  static final long WANTED =
      Wire.ASYNC_READ
          | Wire.AUTO_INVAL_DATA
          | Wire.ASYNC_DIO
          | Wire.PARALLEL_DIROPS
          | Wire.MAX_PAGES
          | Wire.BIG_WRITES;

  /**
   * Decodes fuse_init_in (after the 40-byte header at {@code in}'s index 0) and decides.
   * EXPORT_SUPPORT is never asked: the kernel must not look up "." and "..".
   */
  static Negotiation decide(String session, ByteBuffer in, RawFuseConfig config) {
    int major = in.getInt(Wire.IN_HEADER);
    int minor = in.getInt(Wire.IN_HEADER + 4);
    // The kernel offers its readahead at mount time (128 KiB) and keeps the smaller of the bdi's
    // and
    // ours: echoing the offer undid the 1 MiB FuseDevice set after mount(2). Asking for a full
    // request
    // lets that setting stand, so buffered sequential reads come as 1 MiB requests.
    int maxReadahead = Math.max(in.getInt(Wire.IN_HEADER + 8), config.maxRequestBytes());
    long flags = Integer.toUnsignedLong(in.getInt(Wire.IN_HEADER + 12));
    int len = in.getInt(0);
    if ((flags & Wire.INIT_EXT) != 0 && len >= Wire.IN_HEADER + 20) {
      flags |= Integer.toUnsignedLong(in.getInt(Wire.IN_HEADER + 16)) << 32;
    }
    long wanted = WANTED;
    if (config.readdirPlus()) {
      wanted |= Wire.DO_READDIRPLUS | Wire.READDIRPLUS_AUTO;
    }
    if (config.passthrough()) {
      // flags2 is only read by the kernel when INIT_EXT is in our flags
      wanted |= Wire.PASSTHROUGH | Wire.INIT_EXT;
    }
    int maxPages = Math.max(1, Math.min(config.maxRequestBytes() / Wire.PAGE_SIZE, 65535));
    return new Negotiation(
        session,
        major,
        minor,
        flags,
        Math.min(minor, Wire.OUR_MINOR),
        flags & wanted,
        maxReadahead,
        config.maxRequestBytes(),
        maxPages);
  }

  /** Parameters to assume when a connection is already initialized but no record survived. */
  static Negotiation assumed(String session, RawFuseConfig config, boolean resend) {
    int maxPages = Math.max(1, Math.min(config.maxRequestBytes() / Wire.PAGE_SIZE, 65535));
    return new Negotiation(
        session,
        Wire.KERNEL_MAJOR,
        Wire.OUR_MINOR,
        resend ? Wire.HAS_RESEND : 0,
        Wire.OUR_MINOR,
        WANTED,
        0,
        config.maxRequestBytes(),
        maxPages);
  }

  /**
   * Writes fuse_init_out at {@code out}'s index {@link Wire#OUT_HEADER}; returns its length. A
   * kernel with a newer major gets only our major back and will re-send INIT.
   */
  int encode(ByteBuffer out, int maxBackground) {
    int p = Wire.OUT_HEADER;
    for (int i = 0; i < Wire.INIT_OUT_SIZE; i += 4) {
      out.putInt(p + i, 0);
    }
    out.putInt(p, Wire.KERNEL_MAJOR);
    if (kernelMajor != Wire.KERNEL_MAJOR) {
      return 8;
    }
    out.putInt(p + 4, minor);
    out.putInt(p + 8, maxReadahead);
    out.putInt(p + 12, (int) flags);
    out.putShort(p + 16, (short) maxBackground);
    out.putShort(p + 18, (short) (maxBackground * 3 / 4));
    out.putInt(p + 20, maxWrite);
    out.putInt(p + 24, 1); // time_gran: nanoseconds
    out.putShort(p + 28, (short) maxPages);
    out.putShort(p + 30, (short) 0); // map_alignment
    out.putInt(p + 32, (int) (flags >>> 32));
    out.putInt(p + 36, passthrough() ? Wire.MAX_STACK_DEPTH : 0);
    return Wire.INIT_OUT_SIZE;
  }
}
