package io.ossfuse.fuse.raw;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ossfuse.fuse.dev.LibC;

/** One thread's loop: read a request, dispatch, write the reply. Owns its direct buffers. */
final class Worker implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    /** {@link #serveOne} result when the connection is gone. */
    static final int CLOSED = -1;

    private final FuseChannel channel;
    private final Dispatcher dispatcher;
    private final ByteBuffer in;
    private final ByteBuffer out;

    Worker(FuseChannel channel, Dispatcher dispatcher, RawFuseConfig config) {
        this.channel = channel;
        this.dispatcher = dispatcher;
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
            switch (e) {
                case LibC.ENOENT: // the request was interrupted before we got it
                case LibC.EINTR:
                case LibC.EAGAIN:
                    return 0;
                case LibC.ENODEV: // unmounted
                case LibC.ECONNABORTED: // aborted
                    return CLOSED;
                default:
                    LOG.error("reading {} failed: {}; this worker stops", channel, LibC.describe(e));
                    return CLOSED;
            }
        }
        int opcode = in.getInt(4);
        int len = dispatcher.handle(in, (int) n, out);
        if (len >= 0) {
            int e = channel.write(out, len);
            if (e == LibC.ENODEV) {
                return CLOSED;
            }
            // ENOENT: the request was interrupted, aborted or re-queued meanwhile; nobody waits.
            if (e != 0 && e != LibC.ENOENT) {
                LOG.warn("reply to opcode {} ({} bytes) failed: {}", opcode, len, LibC.describe(e));
            }
        }
        return opcode;
    }
}
