package io.ossfuse.localoss;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.time.Duration;

/**
 * Holds each request for the latency set with {@link Faults#latency(Duration)}, before anything
 * else.
 */
final class InjectedLatencyFilter extends Filter {
  private final Faults faults;

  InjectedLatencyFilter(Faults faults) {
    this.faults = faults;
  }

  @Override
  public void doFilter(HttpExchange ex, Chain chain) throws IOException {
    Duration latency = faults.latency();
    if (!latency.isZero()) {
      Answers.sleep(latency);
    }
    chain.doFilter(ex);
  }

  @Override
  public String description() {
    return "injected latency";
  }
}
