package io.ossfuse.localoss;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/**
 * Lets only requests signed with the server's key through (unsigned reads too, if allowed); counts
 * refusals.
 */
final class AuthFilter extends Filter {
  private final Authenticator auth;
  private final Counters counters;

  AuthFilter(Authenticator auth, Counters counters) {
    this.auth = auth;
    this.counters = counters;
  }

  @Override
  public void doFilter(HttpExchange ex, Chain chain) throws IOException {
    Route r = OssRequest.current().route;
    boolean readOnly = r.method().equals("GET") || r.isHead();
    try {
      auth.authenticate(
          new Authenticator.SignedRequest(
              r.method(), r.bucket(), r.key(), r.params(), ex.getRequestHeaders()),
          readOnly);
    } catch (OssError e) {
      if (e.status == 403) {
        counters.authFailure();
      }
      throw e;
    }
    chain.doFilter(ex);
  }

  @Override
  public String description() {
    return "OSS signature check";
  }
}
