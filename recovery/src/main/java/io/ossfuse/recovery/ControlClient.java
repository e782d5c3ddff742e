package io.ossfuse.recovery;

import java.io.IOException;
import java.io.OutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Sends one request to the daemon's control socket and returns its response. */
public final class ControlClient {
  private final Path socket;

  public ControlClient(Path socket) {
    this.socket = socket;
  }

  /**
   * @throws IOException with a one-line message when the daemon cannot be reached
   */
  public ControlResponse send(ControlRequest request) throws IOException {
    SocketChannel ch;
    try {
      ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      throw new IOException(
          "cannot reach the ossfuse daemon at "
              + socket
              + " ("
              + e.getMessage()
              + "): start it with 'ossfuse daemon' or pass --socket");
    }
    try (ch) {
      OutputStream out = Channels.newOutputStream(ch);
      out.write(Json.mapper().writeValueAsBytes(request));
      out.write('\n');
      out.flush();
      byte[] resp = Channels.newInputStream(ch).readAllBytes();
      String line = new String(resp, StandardCharsets.UTF_8).strip();
      if (line.isEmpty())
        throw new IOException(
            "the ossfuse daemon at " + socket + " closed the connection without an answer");
      return Json.mapper().readValue(line, ControlResponse.class);
    }
  }

  /** The response as JSON, for {@code status --json}. */
  public static String toJson(Object value) throws IOException {
    return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(value);
  }
}
