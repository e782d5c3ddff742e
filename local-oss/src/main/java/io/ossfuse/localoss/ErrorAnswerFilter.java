package io.ossfuse.localoss;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outermost OSS filter: gives every request its x-oss-request-id and answers every {@link
 * OssError} thrown after it with the OSS error XML (or, for HEAD, the same XML base64-encoded in
 * x-oss-err as OSS does); other failures become a 500, an {@link AbortConnection} closes the
 * connection.
 */
final class ErrorAnswerFilter extends Filter {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorAnswerFilter.class);
  private final ServerIdentity server;
  private final Counters counters;
  private final AtomicLong requestSeq = new AtomicLong();

  ErrorAnswerFilter(ServerIdentity server, Counters counters) {
    this.server = server;
    this.counters = counters;
  }

  @Override
  public void doFilter(HttpExchange ex, Chain chain) throws IOException {
    OssRequest request =
        OssRequest.begin(String.format("%016X%08X", server.idBase, requestSeq.incrementAndGet()));
    counters.request();
    Headers out = ex.getResponseHeaders();
    out.set("x-oss-request-id", request.id);
    out.set("Server", "AliyunOSS");
    boolean head = ex.getRequestMethod().equalsIgnoreCase("HEAD");
    try {
      chain.doFilter(ex);
    } catch (OssError e) {
      Answers.drainRequestBody(ex);
      sendError(ex, e, request, head);
    } catch (AbortConnection e) {
      LOG.debug(
          "{} {}: closing connection ({})",
          ex.getRequestMethod(),
          ex.getRequestURI(),
          e.getMessage());
      throw e;
    } catch (IOException e) {
      LOG.debug(
          "{} {}: client connection ended: {}",
          ex.getRequestMethod(),
          ex.getRequestURI(),
          e.toString());
      throw e;
    } catch (RuntimeException e) {
      LOG.warn(
          "{} {}: internal error: {}", ex.getRequestMethod(), ex.getRequestURI(), e.toString(), e);
      sendError(
          ex, new OssError(500, "InternalError", "local-oss internal error: " + e), request, head);
    } finally {
      OssRequest.end();
      ex.close();
    }
  }

  @Override
  public String description() {
    return "OSS request ids and error answers";
  }

  private void sendError(HttpExchange ex, OssError e, OssRequest request, boolean head)
      throws IOException {
    Route route = request.route;
    String hostId =
        route != null && route.bucket() != null
            ? route.bucket() + "." + server.hostText
            : server.hostText;
    byte[] body = e.toXml(request.id, hostId).getBytes(StandardCharsets.UTF_8);
    Headers out = ex.getResponseHeaders();
    out.remove("ETag");
    out.remove("Last-Modified");
    out.remove("Accept-Ranges");
    out.remove("x-oss-object-type");
    out.remove("x-oss-storage-class");
    out.set("Content-Type", "application/xml");
    out.set("x-oss-ec", "0000-00000000");
    if (head) {
      out.set("x-oss-err", Base64.getEncoder().encodeToString(body));
      out.set("Content-Length", Integer.toString(body.length));
      ex.sendResponseHeaders(e.status, -1);
      return;
    }
    if (e.status == 304) {
      ex.sendResponseHeaders(304, -1);
      return;
    }
    ex.sendResponseHeaders(e.status, body.length);
    try (OutputStream o = ex.getResponseBody()) {
      o.write(body);
    }
  }
}
