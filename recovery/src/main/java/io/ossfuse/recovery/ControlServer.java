package io.ossfuse.recovery;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket: one JSON request line in, one JSON response line out, per connection. The
 * socket's directory is 0700 and the socket 0600; on top, peers other than root (or the daemon's
 * own user) are refused by their kernel-reported credentials.
 */
final class ControlServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
  private static final int MAX_LINE = 1 << 20;
  private final Path path;
  private final Function<ControlRequest, ControlResponse> handler;
  private final ServerSocketChannel server;
  private final ExecutorService workers =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "control");
            t.setDaemon(true);
            return t;
          });
  private final String ownUser = System.getProperty("user.name");
  private volatile boolean closed;

  ControlServer(Path path, Function<ControlRequest, ControlResponse> handler) throws IOException {
    this.path = path;
    this.handler = handler;
    Path dir = path.getParent();
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    if (Files.exists(path)) {
      if (alive(path)) throw new IOException("another daemon is already listening on " + path);
      Files.delete(path);
    }
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(path));
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    Thread t = new Thread(this::acceptLoop, "control-accept");
    t.setDaemon(true);
    t.start();
  }

  private static boolean alive(Path p) {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(p))) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        SocketChannel ch = server.accept();
        workers.execute(() -> serve(ch));
      } catch (IOException e) {
        if (!closed) log.warn("control socket {}: {}", path, e.getMessage());
      }
    }
  }

  private void serve(SocketChannel ch) {
    try (ch) {
      ControlResponse resp;
      UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
      String user = peer.user().getName();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
      String line = readLine(in);
      if (!user.equals("root") && !user.equals(ownUser)) {
        resp =
            ControlResponse.failure("permission denied: only root may control the ossfuse daemon");
      } else if (line == null) {
        return;
      } else {
        resp = handle(line);
      }
      OutputStream out = Channels.newOutputStream(ch);
      out.write(Json.mapper().writeValueAsBytes(resp));
      out.write('\n');
      out.flush();
    } catch (IOException | RuntimeException e) {
      log.warn("control request failed: {}", e.toString());
    }
  }

  private ControlResponse handle(String line) {
    ControlRequest req;
    try {
      req = Json.mapper().readValue(line, ControlRequest.class);
    } catch (IOException | IllegalArgumentException e) {
      return ControlResponse.failure("bad request: " + firstLine(e.getMessage()));
    }
    if (req == null || req.op() == null) return ControlResponse.failure("bad request: no 'op'");
    return handler.apply(req);
  }

  private static String readLine(BufferedReader in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (b.length() >= MAX_LINE)
        throw new IOException("request line longer than " + MAX_LINE + " bytes");
      b.append((char) c);
    }
    return b.length() == 0 && c < 0 ? null : b.toString();
  }

  private static String firstLine(String m) {
    if (m == null) return "";
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    workers.shutdownNow();
    Files.deleteIfExists(path);
  }
}
