package io.ossfuse.localoss;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Holds every request for a fixed time before it is handled: a remote endpoint's time to first
 * byte.
 */
final class FirstByteLatencyFilter extends Filter {
  private final long nanos;

  FirstByteLatencyFilter(Duration latency) {
    this.nanos = latency.toNanos();
  }

  @Override
  public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
    long until = System.nanoTime() + nanos;
    for (long left = nanos; left > 0; left = until - System.nanoTime()) {
      LockSupport.parkNanos(left);
      if (Thread.currentThread().isInterrupted())
        throw new IOException("interrupted (server closing)");
    }
    chain.doFilter(exchange);
  }

  @Override
  public String description() {
    return "first byte after " + nanos / 1e6 + " ms";
  }
}
