package io.ossfuse.fuse.raw;

import io.ossfuse.fs.BackingFile;
import io.ossfuse.fs.Errno;
import io.ossfuse.fs.Errors;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.OpenFile;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fuse.dev.LibC;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes one request, calls the filesystem, encodes the reply. One per worker: it owns views of
 * that worker's buffers, so the hot path allocates nothing but names. No kernel involved: unit
 * tests drive it with byte buffers.
 */
final class Dispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

  /** {@link #handle} result for requests that take no reply (FORGET, INTERRUPT...). */
  static final int NO_REPLY = -1;

  private static final int W_OK = 2;

  /** Answers INIT (negotiate + persist) for the session; shared by all workers. */
  interface InitHandler {
    Negotiation onInit(ByteBuffer in) throws Exception;
  }

  private final ReadOnlyFileSystem fs;
  private final RawFuseConfig config;
  private final InitHandler init;
  private final Encoder encoder;
  private final DirBuffer dir;

  /**
   * Where notifications to the kernel go (the channel this dispatcher's worker serves); null: none.
   */
  private final FuseChannel notifications;

  private final ByteBuffer notification =
      ByteBuffer.allocateDirect(Wire.OUT_HEADER + Wire.NOTIFY_INVAL_INODE_SIZE)
          .order(ByteOrder.LITTLE_ENDIAN);
  private final byte[] scratch = new byte[4096];

  /**
   * Passthrough decisions of the session; null when passthrough was not negotiated. Present even
   * when this child's config has it off: then no new backing file is registered.
   */
  private final PassthroughOpens passthrough;

  private long unique;

  /**
   * The OPEN this request counted in {@link #passthrough}, undone if its reply is lost; fh, or -1.
   */
  private long countedFh = -1;

  private long countedNode;
  private boolean countedPassthrough;
  private ByteBuffer data;
  private ByteBuffer dataOf;

  /** A dispatcher that sends the kernel no notifications (unit tests, benchmarks). */
  Dispatcher(ReadOnlyFileSystem fs, RawFuseConfig config, InitHandler init) {
    this(fs, config, init, null);
  }

  Dispatcher(
      ReadOnlyFileSystem fs, RawFuseConfig config, InitHandler init, FuseChannel notifications) {
    this(fs, config, init, notifications, null);
  }

  Dispatcher(
      ReadOnlyFileSystem fs,
      RawFuseConfig config,
      InitHandler init,
      FuseChannel notifications,
      PassthroughOpens passthrough) {
    this.passthrough = passthrough;
    this.notifications = notifications;
    this.fs = fs;
    this.config = config;
    this.init = init;
    this.encoder = new Encoder(fs.entryTimeout(), fs.attrTimeout());
    this.dir = new DirBuffer(fs, encoder);
  }

  /**
   * Handles the request of {@code n} bytes at index 0 of {@code in}; writes the whole reply (header
   * included) at index 0 of {@code out}. Returns the reply length or {@link #NO_REPLY}.
   */
  int handle(ByteBuffer in, int n, ByteBuffer out) {
    int opcode = in.getInt(4);
    long unique = in.getLong(8);
    long node = in.getLong(16);
    this.unique = unique;
    countedFh = -1;
    int len;
    try {
      len = dispatch(opcode, node, in, n, out);
    } catch (Throwable t) {
      len = Errors.reply(t, "opcode " + opcode, "node " + node);
    }
    if (len == NO_REPLY) {
      return NO_REPLY;
    }
    if (len < 0) {
      Encoder.header(out, Wire.OUT_HEADER, len, unique);
      return Wire.OUT_HEADER;
    }
    Encoder.header(out, Wire.OUT_HEADER + len, 0, unique);
    return Wire.OUT_HEADER + len;
  }

  /** Returns the payload length (>= 0), a negative errno, or NO_REPLY. */
  private int dispatch(int opcode, long node, ByteBuffer in, int n, ByteBuffer out)
      throws Exception {
    final int p = Wire.OUT_HEADER;
    final int a = Wire.IN_HEADER;
    switch (opcode) {
      case Wire.INIT:
        return init.onInit(in).encode(out, config.maxBackground());
      case Wire.LOOKUP:
        try {
          return encoder.entry(out, p, fs.lookup(node, string(in, a, n)));
        } catch (FsException e) {
          if (e.errno() == Errno.ENOENT && !config.negativeTimeout().isZero()) {
            return Encoder.negativeEntry(out, p, config.negativeTimeout());
          }
          throw e;
        }
      case Wire.FORGET:
        fs.forget(node, in.getLong(a));
        return NO_REPLY;
      case Wire.BATCH_FORGET:
        {
          int count = in.getInt(a);
          for (int i = 0, q = a + 8; i < count && q + 16 <= n; i++, q += 16) {
            fs.forget(in.getLong(q), in.getLong(q + 8));
          }
          return NO_REPLY;
        }
      case Wire.GETATTR:
        return encoder.attrOut(out, p, fs.getattr(node));
      case Wire.OPEN:
        {
          OpenFile f = fs.open(node, in.getInt(a));
          int flags = openFlags(node, f.pageCache());
          if (passthrough == null) {
            if (f.backing() != null) {
              f.backing().release();
            }
            return Encoder.openOut(out, p, f.fh(), flags);
          }
          BackingFile offered = f.backing();
          if (offered != null && !config.passthrough()) {
            offered
                .release(); // off in this child: only inodes the kernel holds passthrough stay so
            offered = null;
          }
          PassthroughOpens.Decision d = passthrough.open(unique, node, f.fh(), flags, offered);
          countedFh = f.fh();
          countedNode = node;
          countedPassthrough = d.backingId() > 0;
          return Encoder.openOut(out, p, f.fh(), d.openFlags(), d.backingId());
        }
      case Wire.OPENDIR:
        return Encoder.openOut(out, p, fs.opendir(node), 0);
      case Wire.READ:
        return read(node, in.getLong(a), in.getLong(a + 8), in.getInt(a + 16), out);
      case Wire.READDIR:
      case Wire.READDIRPLUS:
        {
          int size = Math.min(in.getInt(a + 16), out.capacity() - p);
          dir.reset(out, p, p + size, opcode == Wire.READDIRPLUS, node);
          fs.readdir(node, in.getLong(a), in.getLong(a + 8), dir);
          return dir.position() - p;
        }
      case Wire.RELEASE:
        fs.release(node, in.getLong(a));
        if (passthrough != null) {
          passthrough.release(node, in.getLong(a));
        }
        return 0;
      case Wire.RELEASEDIR:
        fs.releasedir(node, in.getLong(a));
        return 0;
      case Wire.FLUSH:
        // Never needed, and dangerous: FLUSH is a forced request, so a close() waits for it
        // uninterruptibly — a process closing a file while no child serves (e.g. the
        // watchdog's process spawner closing inherited fds) would hang. ENOSYS makes the
        // kernel stop sending it; FOPEN_NOFLUSH keeps it from being sent at all.
        return Errno.ENOSYS.negative();
      case Wire.STATFS:
        return Encoder.statfs(out, p, fs.statfs());
      case Wire.ACCESS:
        return (in.getInt(a) & W_OK) != 0 ? Errno.EROFS.negative() : 0;
      case Wire.GETXATTR:
        {
          int size = in.getInt(a);
          byte[] value = fs.getxattr(node, string(in, a + 8, n));
          return sized(value, size, out, p);
        }
      case Wire.LISTXATTR:
        {
          int size = in.getInt(a);
          List<String> names = fs.listxattr(node);
          ByteArrayOutputStream b = new ByteArrayOutputStream();
          for (String s : names) {
            b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            b.write(0);
          }
          return sized(b.toByteArray(), size, out, p);
        }
      case Wire.INTERRUPT:
      case Wire.NOTIFY_REPLY:
        // Requests run to completion quickly; the kernel does not need an answer.
        return NO_REPLY;
      case Wire.DESTROY:
        return 0;
      default:
        return Wire.isWrite(opcode) ? Errno.EROFS.negative() : Errno.ENOSYS.negative();
    }
  }

  /**
   * The reply just built never reached the kernel (it answered ENOENT: the request was
   * interrupted): an OPEN counted for passthrough opened nothing.
   */
  void replyLost() {
    if (countedFh != -1 && passthrough != null) {
      passthrough.replyLost(countedNode, countedFh, countedPassthrough);
      countedFh = -1;
    }
  }

  /** fuse_open_out.open_flags carrying the filesystem's page-cache decision for one open. */
  private int openFlags(long node, OpenFile.PageCache pageCache) {
    switch (pageCache) {
      case KEEP:
        return Wire.FOPEN_NOFLUSH | (config.keepCache() ? Wire.FOPEN_KEEP_CACHE : 0);
      case BYPASS:
        return Wire.FOPEN_NOFLUSH | Wire.FOPEN_DIRECT_IO | Wire.FOPEN_KEEP_CACHE;
      default:
        // Without KEEP_CACHE the kernel drops the pages itself, in the opener's context (a
        // page-range notification written here could wait on a page whose READ only this
        // worker would answer). The cached size and mtime go with an attributes-only
        // notification, written before the reply so the opener's next read or stat asks afresh.
        invalidateAttributes(node);
        return Wire.FOPEN_NOFLUSH;
    }
  }

  private void invalidateAttributes(long node) {
    if (notifications == null) {
      return;
    }
    int len = Encoder.notifyInvalInode(notification, node, -1, 0);
    int e = notifications.write(notification, len);
    // ENOENT: the kernel has no such inode cached, so nothing to drop.
    if (e != 0 && !Errno.ENOENT.is(e)) {
      LOG.debug("FUSE_NOTIFY_INVAL_INODE of node {} refused: {}", node, LibC.describe(e));
    }
  }

  /** getxattr/listxattr: size 0 asks for the length; too small a buffer is ERANGE. */
  private static int sized(byte[] value, int size, ByteBuffer out, int p) {
    if (size == 0) {
      return Encoder.xattrSize(out, p, value.length);
    }
    if (value.length > size) {
      return Errno.ERANGE.negative();
    }
    out.put(p, value);
    return value.length;
  }

  private int read(long node, long fh, long offset, int size, ByteBuffer out) throws FsException {
    ByteBuffer d = dataView(out);
    d.clear().limit(Math.min(size, d.capacity()));
    // A short count before EOF would read as EOF to the kernel: keep reading until full or 0.
    while (d.hasRemaining()) {
      int before = d.position();
      int r = fs.read(node, fh, offset + before, d);
      if (r <= 0) {
        break;
      }
      if (d.position() == before) {
        d.position(before + r);
      }
    }
    return d.position();
  }

  private ByteBuffer dataView(ByteBuffer out) {
    if (dataOf != out) {
      data = out.slice(Wire.OUT_HEADER, out.capacity() - Wire.OUT_HEADER).order(out.order());
      dataOf = out;
    }
    return data;
  }

  /** A NUL-terminated string starting at {@code off}, not beyond {@code end}. */
  private String string(ByteBuffer in, int off, int end) {
    int e = off;
    while (e < end && in.get(e) != 0) {
      e++;
    }
    int len = e - off;
    byte[] b = len <= scratch.length ? scratch : new byte[len];
    in.get(off, b, 0, len);
    return new String(b, 0, len, StandardCharsets.UTF_8);
  }
}
