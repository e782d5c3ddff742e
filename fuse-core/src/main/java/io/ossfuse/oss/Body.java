package io.ossfuse.oss;

import java.io.IOException;
import java.nio.ByteBuffer;

/** The body of one ranged GET whose headers said it holds exactly the range asked for. */
interface Body {
  /**
   * Reads some bytes into {@code dst} (at least one unless it has no room); -1 at the end of the
   * body.
   */
  int read(ByteBuffer dst) throws IOException;

  /**
   * From any thread: a read blocked on the connection fails at once, and so does every later one.
   */
  void abort();

  /**
   * Ends the request. {@code clean}: the body was read to its end, so its connection may serve
   * again.
   */
  void close(boolean clean);
}
