package io.ossfuse.localoss;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Writes answers: XML and object bodies, with the body fault drawn for the request applied. */
final class Answers {
  /** RFC 1123 with a two-digit day, as HTTP dates must be (the JDK constant prints "5 Nov"). */
  static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);

  private Answers() {}

  @FunctionalInterface
  interface BodyWriter {
    void write(OutputStream out, long offset, long length) throws IOException;
  }

  static void sendXml(HttpExchange ex, int status, String xml, Faults.Action fault)
      throws IOException {
    byte[] body = xml.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/xml");
    sendBody(ex, status, body.length, fault, (o, off, len) -> o.write(body, (int) off, (int) len));
  }

  /** Sends headers and a body of {@code length} bytes, applying a body fault if one was drawn. */
  static void sendBody(
      HttpExchange ex, int status, long length, Faults.Action fault, BodyWriter writer)
      throws IOException {
    if (fault != null && fault.kind() == Faults.Kind.CLOSE_DELIMITED) {
      sendCloseDelimited(ex, status, length, fault.bytes() < 0 ? length : fault.bytes(), writer);
    }
    ex.sendResponseHeaders(status, length == 0 ? -1 : length);
    if (length == 0 && fault == null) {
      return;
    }
    OutputStream o = ex.getResponseBody();
    if (fault == null) {
      writer.write(o, 0, length);
      return;
    }
    long half = length / 2;
    switch (fault.kind()) {
      case TRUNCATE -> {
        long n = Math.min(fault.bytes(), length);
        writer.write(o, 0, n);
        o.flush();
        throw new AbortConnection(
            "injected: truncated body after " + n + " of " + length + " bytes");
      }
      case RESET_MID_BODY -> {
        writer.write(o, 0, half);
        o.flush();
        throw new AbortConnection("injected: reset after " + half + " of " + length + " bytes");
      }
      case STALL_BODY -> {
        writer.write(o, 0, half);
        o.flush();
        sleep(fault.duration());
        writer.write(o, half, length - half);
      }
      case STALL_AFTER -> {
        long n = Math.min(fault.bytes(), length);
        writer.write(o, 0, n);
        o.flush();
        while (fault.duration() == null) {
          sleep(Duration.ofHours(1)); // until close() interrupts this thread
        }
        sleep(fault.duration());
        writer.write(o, n, length - n);
      }
      default -> writer.write(o, 0, length);
    }
  }

  /**
   * Writes status line, headers (without Content-Length) and {@code sent} body bytes straight to
   * the socket, then ends the body by closing the connection. The JDK server frames every HTTP/1.1
   * answer itself (fixed length or chunked), so this one goes under it.
   */
  private static void sendCloseDelimited(
      HttpExchange ex, int status, long length, long sent, BodyWriter writer) throws IOException {
    OutputStream raw = RawExchange.socketOutput(ex);
    StringBuilder head =
        new StringBuilder("HTTP/1.1 ")
            .append(status)
            .append(status == 206 ? " Partial Content" : " OK")
            .append("\r\n");
    head.append("Date: ").append(HTTP_DATE.format(Instant.now())).append("\r\n");
    ex.getResponseHeaders()
        .forEach(
            (name, values) -> {
              if (!name.equalsIgnoreCase("Content-Length")) {
                values.forEach(v -> head.append(name).append(": ").append(v).append("\r\n"));
              }
            });
    head.append("\r\n");
    raw.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    writer.write(raw, 0, Math.min(sent, length));
    for (long extra = sent - length; extra > 0; ) {
      int n = (int) Math.min(extra, 8192);
      raw.write(new byte[n]);
      extra -= n;
    }
    raw.flush();
    throw new AbortConnection(
        "injected: close-delimited body of " + sent + " bytes (answer has " + length + ")");
  }

  static void drainRequestBody(HttpExchange ex) {
    try (InputStream in = ex.getRequestBody()) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException ignored) {
      // the connection is closed after the answer anyway
    }
  }

  static void sleep(Duration d) throws IOException {
    try {
      Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AbortConnection("interrupted (server closing)");
    }
  }
}
