package io.ossfuse.recovery;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;

/**
 * The daemon's Prometheus endpoint: {@code GET http://ADDR/metrics} in the Prometheus text format
 * (OpenMetrics or protobuf when the scraper asks for it). Off unless {@code --metrics-addr} is
 * given; a bare port binds to 127.0.0.1 only.
 */
public final class MetricsServer implements AutoCloseable {
  private final HTTPServer server;
  private final String host;

  private MetricsServer(HTTPServer server, String host) {
    this.server = server;
    this.host = host;
  }

  /**
   * Starts serving.
   *
   * @param addr {@code HOST:PORT}, {@code :PORT} or {@code PORT} (host 127.0.0.1); port 0 picks a
   *     free one
   * @param mounts the daemon's mounts at scrape time
   */
  public static MetricsServer start(
      String addr, Supplier<List<MountView>> mounts, RecoveryHistory history) throws IOException {
    String[] hp = parse(addr);
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(new MetricsCollector(mounts, history, System::currentTimeMillis));
    HTTPServer s;
    try {
      s =
          HTTPServer.builder()
              .hostname(hp[0])
              .port(Integer.parseInt(hp[1]))
              .registry(registry)
              .buildAndStart();
    } catch (IOException e) {
      throw new IOException(
          "cannot serve metrics on "
              + hp[0]
              + ":"
              + hp[1]
              + ": "
              + e.getMessage()
              + " (pick another --metrics-addr)",
          e);
    }
    return new MetricsServer(s, hp[0]);
  }

  /** {host, port} of {@code HOST:PORT}, {@code :PORT}, {@code PORT} or {@code [v6]:PORT}. */
  public static String[] parse(String addr) {
    if (addr == null || addr.isBlank())
      throw new IllegalArgumentException("--metrics-addr is empty: use HOST:PORT or PORT");
    String a = addr.strip();
    int colon = a.lastIndexOf(':');
    String host = colon < 0 ? "" : a.substring(0, colon);
    String port = colon < 0 ? a : a.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    if (host.isEmpty()) host = "127.0.0.1";
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      p = -1;
    }
    if (p < 0 || p > 65535) {
      throw new IllegalArgumentException(
          "--metrics-addr '"
              + addr
              + "' has no valid port: use HOST:PORT or PORT, e.g. 127.0.0.1:9464");
    }
    return new String[] {host, Integer.toString(p)};
  }

  public int port() {
    return server.getPort();
  }

  /** {@code http://host:port/metrics}. */
  public String url() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return "http://" + h + ":" + port() + "/metrics";
  }

  @Override
  public void close() {
    server.close();
  }
}
