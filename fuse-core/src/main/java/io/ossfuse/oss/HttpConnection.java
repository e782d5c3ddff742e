package io.ossfuse.oss;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One plain HTTP/1.1 connection of {@link HttpBodies}: a blocking {@link SocketChannel}. The
 * response head is parsed from a small direct buffer; body bytes beyond it are read from the
 * channel straight into the caller's buffer (no copy in Java for a direct one). Used by one thread
 * at a time, except {@link #abort}, which any thread may call.
 */
final class HttpConnection {
  private static final int HEAD_MAX = 64 * 1024;

  /**
   * A read into a heap buffer goes through a JDK temporary direct buffer of the read's size, cached
   * per thread: keep such reads small.
   */
  private static final int HEAP_READ_MAX = 256 * 1024;

  /** host:port, the pool this connection belongs to. */
  final String authority;

  private final SocketChannel ch;

  /** Bytes received but not consumed yet (read mode): the rest of a head, the start of a body. */
  private final ByteBuffer in = ByteBuffer.allocateDirect(16 * 1024).flip();

  /** When a byte last arrived, or the connection was last handed out (for the idle watchdog). */
  volatile long lastProgress = System.nanoTime();

  private volatile String abortReason;

  /**
   * Responses read on this connection so far; a reused connection may have been closed by the
   * server.
   */
  int responses;

  /** Bytes of the current response head received so far. */
  int headBytes;

  /** When it went back to the pool (System.nanoTime). */
  long idleSince;

  private HttpConnection(String authority, SocketChannel ch) {
    this.authority = authority;
    this.ch = ch;
  }

  static HttpConnection open(String host, int port, int connectTimeoutMillis) throws IOException {
    SocketChannel ch = SocketChannel.open();
    try {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      InetSocketAddress addr = new InetSocketAddress(host, port);
      if (addr.isUnresolved()) throw new IOException("cannot resolve " + host);
      ch.socket().connect(addr, connectTimeoutMillis);
    } catch (IOException | RuntimeException e) {
      ch.close();
      if (e instanceof IOException io) throw io;
      throw new IOException("cannot connect to " + host + ":" + port + ": " + e, e);
    }
    return new HttpConnection(host + ":" + port, ch);
  }

  /** The status line and headers of one response (header names in lower case). */
  record Head(String version, int status, Map<String, String> headers) {
    String header(String lowerName) {
      return headers.get(lowerName);
    }

    /** The server keeps the connection open after this response (its body delimited by length). */
    boolean persistent() {
      String c = header("connection");
      return "HTTP/1.1".equals(version)
          ? !"close".equalsIgnoreCase(c)
          : "keep-alive".equalsIgnoreCase(c);
    }
  }

  void send(String request) throws IOException {
    headBytes = 0;
    ByteBuffer b = ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1));
    try {
      while (b.hasRemaining()) ch.write(b);
    } catch (IOException e) {
      throw aborted(e);
    }
  }

  Head readHead() throws IOException {
    byte[] acc = new byte[1024];
    int len = 0;
    while (true) {
      while (in.hasRemaining()) {
        if (len == HEAD_MAX)
          throw new IOException("response head longer than " + HEAD_MAX + " bytes");
        if (len == acc.length) acc = java.util.Arrays.copyOf(acc, Math.min(HEAD_MAX, 2 * len));
        acc[len++] = in.get();
        headBytes++;
        if (len >= 4
            && acc[len - 1] == '\n'
            && acc[len - 2] == '\r'
            && acc[len - 3] == '\n'
            && acc[len - 4] == '\r') {
          responses++;
          return parse(new String(acc, 0, len - 4, StandardCharsets.ISO_8859_1));
        }
      }
      in.clear();
      int n;
      try {
        n = ch.read(in);
      } catch (IOException e) {
        in.limit(0);
        throw aborted(e);
      }
      in.flip();
      if (n < 0) {
        throw new EOFException(
            len == 0
                ? "connection closed before the response"
                : "connection closed in the response head");
      }
      if (n > 0) lastProgress = System.nanoTime();
    }
  }

  private static Head parse(String head) throws IOException {
    String[] lines = head.split("\r\n");
    String[] status = lines[0].split(" ", 3);
    if (status.length < 2 || !status[0].startsWith("HTTP/1."))
      throw new IOException("not an HTTP/1.x response: " + lines[0]);
    int code;
    try {
      code = Integer.parseInt(status[1]);
    } catch (NumberFormatException e) {
      throw new IOException("unreadable status line: " + lines[0]);
    }
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) throw new IOException("unreadable header line: " + lines[i]);
      String name = lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).strip();
      headers.merge(name, value, (a, b) -> a + ", " + b);
    }
    return new Head(status[0], code, headers);
  }

  /**
   * Reads at most {@code max} (> 0) body bytes into {@code dst}: what is buffered first, then from
   * the socket. -1 when the server closed the connection.
   */
  int read(ByteBuffer dst, int max) throws IOException {
    if (in.hasRemaining()) {
      int n = Math.min(Math.min(max, dst.remaining()), in.remaining());
      dst.put(in.slice(in.position(), n));
      in.position(in.position() + n);
      return n;
    }
    if (!dst.isDirect()) max = Math.min(max, HEAP_READ_MAX);
    int limit = dst.limit();
    if (max < dst.remaining()) dst.limit(dst.position() + max);
    int n;
    try {
      n = ch.read(dst);
    } catch (IOException e) {
      throw aborted(e);
    } finally {
      dst.limit(limit);
    }
    if (n > 0) lastProgress = System.nanoTime();
    return n;
  }

  /** Nothing received beyond the last response: the connection can carry the next request. */
  boolean drained() {
    return !in.hasRemaining() && abortReason == null && ch.isOpen();
  }

  /** From any thread: a blocked read fails at once with {@code reason}. */
  void abort(String reason) {
    if (abortReason == null) abortReason = reason;
    close();
  }

  private IOException aborted(IOException e) {
    String why = abortReason;
    return why == null ? e : new IOException(why, e);
  }

  void close() {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing more to do with it either way
    }
  }
}
