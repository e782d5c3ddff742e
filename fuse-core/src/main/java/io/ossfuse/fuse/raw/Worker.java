package io.ossfuse.fuse.raw;

import io.ossfuse.fs.Errno;
import io.ossfuse.fuse.dev.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread's loop: read a request, dispatch, write the reply. Owns its direct buffers. Each
 * request passes its {@link PoisonGuard.Slot} first: noted as in flight until answered, or answered
 * EIO at once when quarantined.
 */
final class Worker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

  /** {@link #serveOne} result when the connection is gone. */
  static final int CLOSED = -1;

  private final FuseChannel channel;
  private final Dispatcher dispatcher;
  private final PoisonGuard.Slot guard;
  private final ByteBuffer in;
  private final ByteBuffer out;

  Worker(FuseChannel channel, Dispatcher dispatcher, RawFuseConfig config) {
    this(channel, dispatcher, config, PoisonGuard.disabled().slot(0));
  }

  Worker(FuseChannel channel, Dispatcher dispatcher, RawFuseConfig config, PoisonGuard.Slot guard) {
    this.channel = channel;
    this.dispatcher = dispatcher;
    this.guard = guard;
    this.in = ByteBuffer.allocateDirect(config.inBufferBytes()).order(ByteOrder.LITTLE_ENDIAN);
    this.out = ByteBuffer.allocateDirect(config.outBufferBytes()).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public void run() {
    while (serveOne() != CLOSED) {
      // serve until the connection ends
    }
  }

  /** Serves one request; returns its opcode, 0 if the read was retried, or {@link #CLOSED}. */
  int serveOne() {
    long n = channel.read(in, in.capacity());
    if (n < 0) {
      int e = (int) -n;
      if (FuseChannel.readAgain(e)) {
        return 0;
      }
      if (!FuseChannel.ended(e)) {
        LOG.error("reading {} failed: {}; this worker stops", channel, LibC.describe(e));
      }
      return CLOSED;
    }
    int opcode = in.getInt(4);
    long begun = firstReadLogged ? 0 : System.nanoTime();
    try {
      int len;
      if (guard.admit(in, (int) n)) {
        len = dispatcher.handle(in, (int) n, out);
      } else {
        Encoder.header(out, Wire.OUT_HEADER, Errno.EIO.negative(), in.getLong(8));
        len = Wire.OUT_HEADER;
      }
      // Served: no longer in flight, before the reply goes out. Once the kernel has the reply its
      // caller runs on, and may kill this child at once (a passthrough open needs nothing more from
      // us): noted after the write, the answered request looked in flight at that crash, and a
      // GETATTR of the same file at two such kills was quarantined as poison (EIO for 10 min).
      guard.done();
      if (len >= 0) {
        int e = channel.write(out, len);
        if (Errno.ENODEV.is(e)) {
          return CLOSED;
        }
        // ENOENT: the request was interrupted, aborted or re-queued meanwhile; nobody waits.
        if (Errno.ENOENT.is(e)) {
          dispatcher.replyLost();
        } else if (e != 0) {
          LOG.warn("reply to opcode {} ({} bytes) failed: {}", opcode, len, LibC.describe(e));
        }
      }
    } finally {
      guard.done();
    }
    if (!firstReadLogged) noteFirstRead(opcode, begun);
    return opcode;
  }

  /** After a standby's takeover: its first READ answered, one line (where a stall ends). */
  private static volatile boolean firstReadLogged;

  private static final java.util.concurrent.atomic.AtomicInteger answeredBefore =
      new java.util.concurrent.atomic.AtomicInteger();

  private static void noteFirstRead(int opcode, long begun) {
    long since = io.ossfuse.fuse.dev.Standby.millisSinceActivation();
    if (since < 0) {
      firstReadLogged = true; // no standby: nothing to trace
      return;
    }
    if (opcode != Wire.READ) {
      answeredBefore.incrementAndGet();
      return;
    }
    synchronized (Worker.class) {
      if (firstReadLogged) return;
      firstReadLogged = true;
    }
    LOG.info(
        "first READ after the takeover answered {} ms after activation (it took {} ms; {} other"
            + " requests before it)",
        since,
        (System.nanoTime() - begun) / 1_000_000,
        answeredBefore.get());
  }
}
