package io.ossfuse.fuse.raw;

import io.ossfuse.fs.Errno;
import io.ossfuse.fuse.dev.LibC;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers every request of a connection that has no serving child with EIO, so that while the owner
 * waits out a long restart backoff the kernel connection stays alive and readers get an error
 * instead of waiting without end (or ENOTCONN, if the connection were ended instead).
 *
 * <p>It serves its own FUSE_DEV_IOC_CLONE of the owner's fd, opened non-blocking: its reads never
 * block the owner and the flag does not touch the fd the children share. At start it writes
 * FUSE_NOTIFY_RESEND, so requests the dead child had read are answered too. It answers each request
 * right after reading it; FORGET, BATCH_FORGET and INTERRUPT take no reply; an INIT is never
 * answered with an error (that would fail the connection for good) and is left for the next child.
 * {@link #close()} stops reading first, then re-sends whatever it left unanswered and closes its
 * clone, so the next child sees every request the responder did not answer.
 *
 * <p>Only for an initialized session (an INIT record exists): before INIT the kernel queues
 * requests until a real server negotiates.
 */
public final class ErrorResponder implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorResponder.class);
  private static final int POLL_MS = 50;
  private static final int POLLIN = 1, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32;

  private final int clone;
  private final String name;
  private final ByteBuffer in;
  private final ByteBuffer out =
      ByteBuffer.allocateDirect(Wire.OUT_HEADER).order(ByteOrder.LITTLE_ENDIAN);
  private final AtomicLong answered = new AtomicLong();
  private final Thread thread;
  private volatile boolean stopping;
  private volatile boolean leftUnanswered;

  private ErrorResponder(int clone, String name, int inBytes) {
    this.clone = clone;
    this.name = name;
    this.in = ByteBuffer.allocateDirect(inBytes).order(ByteOrder.LITTLE_ENDIAN);
    this.thread = new Thread(this::run, "fuse-eio " + name);
    this.thread.setDaemon(true);
  }

  /**
   * Starts answering requests of the connection {@code fd} (session {@code state}) with EIO; empty
   * if the session was never initialized. {@code name} is for log lines (the mountpoint).
   */
  public static Optional<ErrorResponder> start(int fd, SessionState state, String name)
      throws IOException {
    Optional<Negotiation> n = new InitStore(state).load();
    if (n.isEmpty()) {
      return Optional.empty();
    }
    LibC c = LibC.get();
    int nfd = c.open("/dev/fuse", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
    if (nfd < 0) {
      throw new IOException("cannot open /dev/fuse: " + LibC.describe(LibC.errno()));
    }
    if (c.ioctl(nfd, LibC.FUSE_DEV_IOC_CLONE, new int[] {fd}) != 0) {
      int e = LibC.errno();
      c.close(nfd);
      throw new IOException("FUSE_DEV_IOC_CLONE of fd " + fd + " failed: " + LibC.describe(e));
    }
    // The kernel refuses reads into a buffer smaller than max_write plus headers (EINVAL).
    int inBytes =
        Math.max(RawFuseConfig.defaults().inBufferBytes(), n.get().maxWrite() + Wire.PAGE_SIZE * 2);
    ErrorResponder r = new ErrorResponder(nfd, name, inBytes);
    r.resend(); // what the dead child had read comes back here
    r.thread.start();
    return Optional.of(r);
  }

  /** Requests answered with EIO so far. */
  public long answered() {
    return answered.get();
  }

  private void run() {
    LibC c = LibC.get();
    byte[] pfd = new byte[8];
    ByteBuffer pv = ByteBuffer.wrap(pfd).order(ByteOrder.nativeOrder());
    while (!stopping) {
      pv.putInt(0, clone).putShort(4, (short) POLLIN).putShort(6, (short) 0);
      int r = c.poll(pfd, 1, POLL_MS);
      if (r <= 0) {
        continue; // timeout or EINTR: look at stopping again
      }
      short rev = pv.getShort(6);
      if ((rev & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
        LOG.info("{}: the connection ended while answering with EIO", name);
        return;
      }
      if (stopping) {
        return; // nothing read since the last check: the next child gets what is queued
      }
      if (!serveOne(c)) {
        return;
      }
    }
  }

  /** Reads and answers one request; false when the connection is gone. */
  private boolean serveOne(LibC c) {
    in.clear();
    long n = c.read(clone, in, in.capacity());
    if (n < 0) {
      int e = LibC.errno();
      if (FuseChannel.readAgain(e)) {
        return true;
      }
      if (!FuseChannel.ended(e)) {
        LOG.warn(
            "{}: reading the FUSE connection failed: {}; no more EIO answers",
            name,
            LibC.describe(e));
      }
      return false;
    }
    int opcode = in.getInt(4);
    long unique = in.getLong(8);
    switch (opcode) {
      case Wire.FORGET:
      case Wire.BATCH_FORGET:
      case Wire.INTERRUPT:
        return true;
      case Wire.INIT:
        leftUnanswered = true;
        LOG.warn("{}: INIT arrived while no child serves; left for the next child", name);
        return true;
      default:
        Encoder.header(out, Wire.OUT_HEADER, Errno.EIO.negative(), unique);
        out.clear();
        long w = c.write(clone, out, Wire.OUT_HEADER);
        if (w < 0 && Errno.ENODEV.is(LibC.errno())) {
          return false;
        }
        answered.incrementAndGet(); // ENOENT: interrupted meanwhile, nobody waits
        return true;
    }
  }

  private void resend() {
    ByteBuffer b = ByteBuffer.allocateDirect(Wire.OUT_HEADER).order(ByteOrder.LITTLE_ENDIAN);
    Encoder.header(b, Wire.OUT_HEADER, Wire.NOTIFY_RESEND, 0);
    if (LibC.get().write(clone, b, Wire.OUT_HEADER) < 0) {
      LOG.info("{}: FUSE_NOTIFY_RESEND refused ({})", name, LibC.describe(LibC.errno()));
    }
  }

  /**
   * Stops reading (waits for the request in hand to be answered), re-queues anything left
   * unanswered and closes the clone. The next child must start only after this returns.
   */
  @Override
  public void close() {
    stopping = true;
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (leftUnanswered) {
      resend();
    }
    LibC.get().close(clone);
  }
}
