package io.ossfuse.localoss;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/** Parses bucket, key and parameters of the request into its {@link Route}. */
final class RoutingFilter extends Filter {
  private final ServerIdentity server;

  RoutingFilter(ServerIdentity server) {
    this.server = server;
  }

  @Override
  public void doFilter(HttpExchange ex, Chain chain) throws IOException {
    OssRequest.current().route = Route.of(ex, server.hostText);
    chain.doFilter(ex);
  }

  @Override
  public String description() {
    return "OSS routing";
  }
}
