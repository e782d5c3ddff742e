package io.ossfuse.cache;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.zip.CRC32C;

/**
 * The header in front of every block file's data: the full key, the data length and one CRC32C per
 * chunk of data, closed by a CRC32C of the header itself. Per-chunk checksums let a read verify
 * just the chunks it returns instead of the whole block.
 *
 * <pre>
 * int magic 'OFBK' | short version | short 0 | int headerLen | int dataLen | long index | int chunkSize | int blockSize
 * int bucketLen | int keyLen | int etagLen | bucket | objectKey | etag | int crc[nChunks] | int headerCrc
 * </pre>
 */
final class BlockHeader {
  static final int MAGIC = 0x4F46424B;
  static final short VERSION = 2;
  static final int FIXED = 44;
  static final int MIN_LEN = FIXED + 4;
  private static final int MAX_LEN = 1 << 20;
  private static final ThreadLocal<ByteBuffer> HEADER_BUF =
      ThreadLocal.withInitial(() -> ByteBuffer.allocate(1024));
  private static final ThreadLocal<ByteBuffer> SCRATCH = new ThreadLocal<>();

  final int headerLen;
  final int dataLen;
  final int chunkSize;
  private final int[] crcs;

  /**
   * One bit per chunk that {@link #verify} has found sound since this header was read (file
   * opened).
   */
  private final AtomicLongArray verified;

  private BlockHeader(int headerLen, int dataLen, int chunkSize, int[] crcs) {
    this.headerLen = headerLen;
    this.dataLen = dataLen;
    this.chunkSize = chunkSize;
    this.crcs = crcs;
    this.verified = new AtomicLongArray((crcs.length + 63) / 64);
  }

  /** Builds the header for {@code data} (position..limit), which is left untouched. */
  static ByteBuffer encode(BlockKey key, ByteBuffer data, int chunkSize, int blockSize) {
    byte[] b = key.bucket().getBytes(StandardCharsets.UTF_8);
    byte[] k = key.objectKey().getBytes(StandardCharsets.UTF_8);
    byte[] e = key.etag().getBytes(StandardCharsets.UTF_8);
    int dataLen = data.remaining();
    int chunks = (dataLen + chunkSize - 1) / chunkSize;
    int len = FIXED + b.length + k.length + e.length + 4 * chunks + 4;
    ByteBuffer h = ByteBuffer.allocate(len);
    h.putInt(MAGIC)
        .putShort(VERSION)
        .putShort((short) 0)
        .putInt(len)
        .putInt(dataLen)
        .putLong(key.index())
        .putInt(chunkSize)
        .putInt(blockSize)
        .putInt(b.length)
        .putInt(k.length)
        .putInt(e.length)
        .put(b)
        .put(k)
        .put(e);
    CRC32C crc = new CRC32C();
    for (int c = 0; c < chunks; c++) {
      int from = data.position() + c * chunkSize;
      crc.reset();
      crc.update(data.slice(from, Math.min(chunkSize, data.limit() - from)));
      h.putInt((int) crc.getValue());
    }
    crc.reset();
    crc.update(h.array(), 0, len - 4);
    h.putInt((int) crc.getValue());
    return h.flip();
  }

  /**
   * Reads and checks the header of an open block file against {@code expected}.
   *
   * @throws CorruptBlockException when anything does not match (including a truncated file)
   */
  static BlockHeader read(FileChannel ch, BlockKey expected, int expectedBlockSize)
      throws IOException {
    long size = ch.size();
    if (size < MIN_LEN)
      throw new CorruptBlockException("block file of " + size + " bytes is shorter than a header");
    ByteBuffer buf = HEADER_BUF.get().clear();
    buf.limit((int) Math.min(buf.capacity(), size));
    readFully(ch, buf, 0);
    buf.flip();
    if (buf.getInt(0) != MAGIC || buf.getShort(4) != VERSION)
      throw new CorruptBlockException("bad magic or version");
    int headerLen = buf.getInt(8);
    if (headerLen < MIN_LEN || headerLen > MAX_LEN || headerLen > size) {
      throw new CorruptBlockException("bad header length " + headerLen);
    }
    if (headerLen > buf.limit()) {
      buf = ByteBuffer.allocate(headerLen);
      readFully(ch, buf, 0);
      buf.flip();
    }
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), buf.arrayOffset(), headerLen - 4);
    if ((int) crc.getValue() != buf.getInt(headerLen - 4))
      throw new CorruptBlockException("header checksum mismatch");
    int dataLen = buf.getInt(12);
    long index = buf.getLong(16);
    int chunkSize = buf.getInt(24);
    int blockSize = buf.getInt(28);
    int bl = buf.getInt(32), kl = buf.getInt(36), el = buf.getInt(40);
    if (dataLen < 0 || chunkSize <= 0 || bl < 0 || kl < 0 || el < 0)
      throw new CorruptBlockException("bad header fields");
    int chunks = (int) (((long) dataLen + chunkSize - 1) / chunkSize);
    if ((long) FIXED + bl + kl + el + 4L * chunks + 4 != headerLen)
      throw new CorruptBlockException("inconsistent header");
    if (size != (long) headerLen + dataLen) {
      throw new CorruptBlockException(
          "block file is " + size + " bytes, header says " + ((long) headerLen + dataLen));
    }
    if (blockSize != expectedBlockSize) {
      throw new CorruptBlockException(
          "block cut with block size " + blockSize + ", not " + expectedBlockSize);
    }
    if (index != expected.index()
        || !matches(buf, FIXED, bl, expected.bucket())
        || !matches(buf, FIXED + bl, kl, expected.objectKey())
        || !matches(buf, FIXED + bl + kl, el, expected.etag())) {
      throw new CorruptBlockException("block file holds another key");
    }
    int[] crcs = new int[chunks];
    int at = FIXED + bl + kl + el;
    for (int c = 0; c < chunks; c++) crcs[c] = buf.getInt(at + 4 * c);
    return new BlockHeader(headerLen, dataLen, chunkSize, crcs);
  }

  private static boolean matches(ByteBuffer buf, int at, int len, String s) {
    byte[] want = s.getBytes(StandardCharsets.UTF_8);
    if (want.length != len) return false;
    for (int i = 0; i < len; i++) if (buf.get(at + i) != want[i]) return false;
    return true;
  }

  /**
   * Checks the chunks covering data bytes [off, off + n), whose bytes are already in {@code got}
   * (position..position+n), unless this header already found them sound: read from one open file, a
   * chunk is checked once (the file is never rewritten in place). Chunk bytes outside that range
   * are read from {@code ch} into a scratch buffer, so no whole-block copy is made.
   */
  void verify(FileChannel ch, ByteBuffer got, int off, int n) throws IOException {
    if (n == 0) return;
    CRC32C crc = null;
    int first = off / chunkSize, last = (off + n - 1) / chunkSize;
    for (int c = first; c <= last; c++) {
      if (isVerified(c)) continue;
      if (crc == null) crc = new CRC32C();
      int cs = c * chunkSize, ce = (int) Math.min((long) cs + chunkSize, dataLen);
      crc.reset();
      if (cs < off) crc.update(scratch(ch, cs, off - cs));
      int from = Math.max(cs, off), to = Math.min(ce, off + n);
      crc.update(got.slice(got.position() + from - off, to - from));
      if (ce > off + n) crc.update(scratch(ch, off + n, ce - off - n));
      if ((int) crc.getValue() != crcs[c])
        throw new CorruptBlockException("checksum mismatch in chunk " + c);
      markVerified(c);
    }
  }

  boolean isVerified(int chunk) {
    return (verified.get(chunk >>> 6) & (1L << chunk)) != 0;
  }

  private void markVerified(int chunk) {
    long bit = 1L << chunk;
    int i = chunk >>> 6;
    long v;
    while (((v = verified.get(i)) & bit) == 0 && !verified.compareAndSet(i, v, v | bit)) {
      // another chunk of the same word was marked meanwhile
    }
  }

  private ByteBuffer scratch(FileChannel ch, int dataOff, int len) throws IOException {
    ByteBuffer s = SCRATCH.get();
    if (s == null || s.capacity() < len) {
      s = ByteBuffer.allocateDirect(Math.max(len, chunkSize));
      SCRATCH.set(s);
    }
    s.clear().limit(len);
    readFully(ch, s, (long) headerLen + dataOff);
    return s.flip();
  }

  static void readFully(FileChannel ch, ByteBuffer dst, long pos) throws IOException {
    while (dst.hasRemaining()) {
      int r = ch.read(dst, pos);
      if (r < 0) throw new EOFException("block file ends early");
      pos += r;
    }
  }
}
