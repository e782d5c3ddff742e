package io.ossfuse.localoss;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.locks.LockSupport;

/**
 * Paces every response body to a fixed rate. An HTTP/1.1 connection carries one exchange at a time,
 * so this caps each connection, as a remote endpoint's per-connection throughput does; parallel
 * connections add up.
 */
final class BandwidthCapFilter extends Filter {
  /**
   * Written between two pacing checks: at 150 MiB/s about 0.8 ms of data, so the rate stays smooth
   * within a few ms, while the pacing's wake-ups stay few: the endpoint shares the client's cores,
   * which a real one does not (at 32 KiB it spent 2 CPU-seconds per GiB on one connection).
   */
  static final int SLICE = 128 << 10;

  private final long bytesPerSecond;

  BandwidthCapFilter(long bytesPerSecond) {
    if (bytesPerSecond <= 0)
      throw new IllegalArgumentException("bytesPerSecond must be > 0, got " + bytesPerSecond);
    this.bytesPerSecond = bytesPerSecond;
  }

  @Override
  public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
    exchange.setStreams(null, new Paced(exchange.getResponseBody(), bytesPerSecond));
    chain.doFilter(exchange);
  }

  @Override
  public String description() {
    return "at most " + bytesPerSecond + " bytes/s per connection";
  }

  /** Lets bytes through no faster than the rate, measured from the first byte written. */
  static final class Paced extends FilterOutputStream {
    private final long bytesPerSecond;
    private long start = -1;
    private long written;

    Paced(OutputStream out, long bytesPerSecond) {
      super(out);
      this.bytesPerSecond = bytesPerSecond;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (start < 0) start = System.nanoTime();
      while (len > 0) {
        int n = Math.min(len, SLICE);
        out.write(b, off, n);
        written += n;
        off += n;
        len -= n;
        pace();
      }
    }

    private void pace() throws IOException {
      long due = start + (long) (written * 1e9 / bytesPerSecond);
      for (long left = due - System.nanoTime(); left > 0; left = due - System.nanoTime()) {
        LockSupport.parkNanos(left);
        if (Thread.currentThread().isInterrupted())
          throw new IOException("interrupted (server closing)");
      }
    }
  }
}
