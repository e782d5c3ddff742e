package io.ossfuse.localoss;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A byte-exact HTTP/1.1 client over a plain socket: sees truncation and closes that URLConnection
 * hides.
 */
final class RawHttp {
  record Response(
      int status, Map<String, String> headers, byte[] body, boolean closedEarly, long millis) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    long contentLength() {
      String v = header("content-length");
      return v == null ? -1 : Long.parseLong(v);
    }
  }

  private RawHttp() {}

  /**
   * Sends one request with Connection: close and reads until EOF; status -1 if nothing came back.
   */
  static Response send(int port, String method, String rawPath, Map<String, String> headers)
      throws IOException {
    long t0 = System.nanoTime();
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      StringBuilder req =
          new StringBuilder(method).append(' ').append(rawPath).append(" HTTP/1.1\r\n");
      Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      h.put("Host", "127.0.0.1:" + port);
      h.put("Connection", "close");
      h.putAll(headers);
      h.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
      req.append("\r\n");
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      long millis = (System.nanoTime() - t0) / 1_000_000;
      byte[] bytes = all.toByteArray();
      if (bytes.length == 0) {
        return new Response(-1, Map.of(), new byte[0], true, millis);
      }
      int end = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      String head = new String(bytes, 0, end < 0 ? bytes.length : end, StandardCharsets.ISO_8859_1);
      String[] lines = head.split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> hs = new TreeMap<>();
      for (int i = 1; i < lines.length; i++) {
        int c = lines[i].indexOf(':');
        hs.put(
            lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(c + 1).trim());
      }
      byte[] body =
          end < 0 ? new byte[0] : java.util.Arrays.copyOfRange(bytes, end + 4, bytes.length);
      String cl = hs.get("content-length");
      boolean early =
          end < 0
              || (cl != null
                  && !method.equals("HEAD")
                  && status != 304
                  && body.length < Long.parseLong(cl));
      return new Response(status, hs, body, early, millis);
    }
  }

  static Response get(int port, String rawPath) throws IOException {
    return send(port, "GET", rawPath, Map.of());
  }

  private static int indexOf(byte[] a, byte[] pat) {
    outer:
    for (int i = 0; i + pat.length <= a.length; i++) {
      for (int j = 0; j < pat.length; j++) {
        if (a[i + j] != pat[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
