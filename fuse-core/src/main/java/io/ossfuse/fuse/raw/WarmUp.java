package io.ossfuse.fuse.raw;

import io.ossfuse.fs.ReadOnlyFileSystem;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the requests a takeover serves first (GETATTR, LOOKUP, OPENDIR/READDIRPLUS, OPEN/READ of the
 * first file of the root, STATFS) through a {@link Dispatcher} on a throw-away filesystem, no
 * kernel involved: a standby child then has the request path's classes loaded, its call sites
 * linked and the hot methods compiled before it takes over, instead of paying that on the first
 * requests after a crash.
 */
final class WarmUp {
  private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);
  private static final long ROOT = 1;
  private static final int S_IFMT = 0170000, S_IFREG = 0100000;

  private final Dispatcher dispatcher;
  private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
  private final ByteBuffer out;
  private long unique;

  private WarmUp(ReadOnlyFileSystem fs, RawFuseConfig config) {
    this.dispatcher =
        new Dispatcher(
            fs,
            config,
            b -> {
              throw new IllegalStateException("no INIT during a warm-up");
            });
    this.out = ByteBuffer.allocateDirect(config.outBufferBytes()).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** {@code rounds} of metadata requests, and a read of the first file in the first rounds. */
  static void run(ReadOnlyFileSystem fs, RawFuseConfig config, int rounds) {
    long t0 = System.nanoTime();
    WarmUp w = new WarmUp(fs, config);
    int ok = 0;
    for (int i = 0; i < rounds; i++) {
      if (io.ossfuse.fuse.dev.Standby.activationPending()) {
        // woken while still warming up: every round now delays the takeover
        LOG.info("warm-up cut short after {} rounds: activated", i);
        rounds = i;
        break;
      }
      try {
        w.round(i < 3);
        ok++;
      } catch (RuntimeException e) {
        LOG.info("warm-up round {} failed: {}", i, e.toString());
      }
    }
    LOG.info(
        "warm-up: {} of {} rounds of requests in {} ms",
        ok,
        rounds,
        (System.nanoTime() - t0) / 1_000_000);
  }

  private void round(boolean read) {
    call(Wire.GETATTR, ROOT, 0);
    lookup(".ossfuse-standby-warm-up");
    call(Wire.STATFS, ROOT, 0);
    long dh = openFh(Wire.OPENDIR, ROOT);
    if (dh < 0) {
      return;
    }
    start(Wire.READDIRPLUS, ROOT)
        .putLong(dh)
        .putLong(0)
        .putInt(16 * 1024)
        .putInt(0)
        .putLong(0)
        .putInt(0)
        .putInt(0);
    int len = send();
    long file = len > 0 ? firstRegularFile(len) : 0;
    start(Wire.RELEASEDIR, ROOT).putLong(dh).putInt(0).putInt(0).putLong(0);
    send();
    if (file == 0) {
      return;
    }
    call(Wire.GETATTR, file, 0);
    long fh = openFh(Wire.OPEN, file);
    if (fh >= 0) {
      if (read) {
        start(Wire.READ, file)
            .putLong(fh)
            .putLong(0)
            .putInt(128 * 1024)
            .putInt(0)
            .putLong(0)
            .putInt(0)
            .putInt(0);
        send();
      }
      start(Wire.RELEASE, file).putLong(fh).putInt(0).putInt(0).putLong(0);
      send();
    }
    start(Wire.FORGET, file).putLong(1); // the lookup readdirplus made
    send();
  }

  private void lookup(String name) {
    start(Wire.LOOKUP, ROOT).put(name.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
    send();
  }

  private void call(int opcode, long node, int arg) {
    start(opcode, node).putInt(arg).putInt(0);
    send();
  }

  /** OPEN/OPENDIR with flags 0; the file handle, or -1 on an error reply. */
  private long openFh(int opcode, long node) {
    start(opcode, node).putInt(0).putInt(0);
    int len = send();
    return len >= Wire.OUT_HEADER + 8 && out.getInt(4) == 0 ? out.getLong(Wire.OUT_HEADER) : -1;
  }

  /** The node of the first regular file in a READDIRPLUS reply of {@code len} bytes, or 0. */
  private long firstRegularFile(int len) {
    if (out.getInt(4) != 0) {
      return 0;
    }
    int p = Wire.OUT_HEADER;
    while (p + Wire.ENTRY_OUT_SIZE + Wire.DIRENT_HEADER <= len) {
      long node = out.getLong(p);
      int mode = out.getInt(p + 40 + 60);
      int nameLen = out.getInt(p + Wire.ENTRY_OUT_SIZE + 16);
      if (node != 0 && (mode & S_IFMT) == S_IFREG) {
        return node;
      }
      if (node != 0) {
        start(Wire.FORGET, node).putLong(1);
        send();
      }
      p += Encoder.direntPlusSize(nameLen);
    }
    return 0;
  }

  /** Writes a request header at 0 of {@code in}; the caller appends the body. */
  private ByteBuffer start(int opcode, long node) {
    in.clear();
    in.putInt(0)
        .putInt(opcode)
        .putLong(++unique)
        .putLong(node)
        .putInt(0)
        .putInt(0)
        .putInt(0)
        .putInt(0);
    return in;
  }

  /** Dispatches the request built in {@code in}; returns the reply length (0 for none). */
  private int send() {
    int n = in.position();
    in.putInt(0, n);
    int len = dispatcher.handle(in, n, out);
    return Math.max(len, 0);
  }
}
