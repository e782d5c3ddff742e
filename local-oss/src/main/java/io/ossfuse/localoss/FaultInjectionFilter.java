package io.ossfuse.localoss;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/**
 * Names the request's {@link OssOperation}, counts it, and applies the next matching {@link Faults}
 * rule: an error status, a dropped connection or a delay here; a body fault is left for the
 * handler's answer.
 */
final class FaultInjectionFilter extends Filter {
  private final Faults faults;
  private final Counters counters;

  FaultInjectionFilter(Faults faults, Counters counters) {
    this.faults = faults;
    this.counters = counters;
  }

  @Override
  public void doFilter(HttpExchange ex, Chain chain) throws IOException {
    OssRequest request = OssRequest.current();
    Route r = request.route;
    request.op = r.operation();
    counters.op(request.op, r.key());
    Faults.Action fault = faults.take(request.op, r.key());
    if (fault != null) {
      switch (fault.kind()) {
        case STATUS ->
            throw new OssError(
                fault.status(),
                fault.status() == 503
                    ? "ServiceUnavailable"
                    : fault.status() == 500 ? "InternalError" : "InjectedFault",
                "Fault injected by local-oss (HTTP " + fault.status() + ").");
        case DROP -> throw new AbortConnection("injected: drop connection");
        case DELAY -> Answers.sleep(fault.duration());
        default -> {
          if (r.isHead()) {
            throw new AbortConnection("injected body fault on HEAD");
          }
          request.bodyFault = fault;
        }
      }
    }
    chain.doFilter(ex);
  }

  @Override
  public String description() {
    return "OSS operation counting and fault injection";
  }
}
