package io.ossfuse.localoss;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;

/**
 * The socket stream under one JDK {@link HttpExchange}, for the fault answers the JDK server will
 * not frame (an HTTP/1.1 body without Content-Length, ended by closing). Reads two fields of the
 * JDK's internal exchange ({@code HttpExchangeImpl.impl}, {@code ExchangeImpl.ros}) through {@code
 * sun.misc.Unsafe}, since jdk.httpserver does not open them to reflection; only fault injection
 * uses it, and a JDK whose internals differ gets a clear error instead of a wrong answer.
 */
final class RawExchange {
  private RawExchange() {}

  static OutputStream socketOutput(HttpExchange ex) throws IOException {
    try {
      Object impl = field(ex, "impl");
      Object out = field(impl, "ros");
      if (out instanceof OutputStream o) {
        return o;
      }
      throw new IllegalStateException("ExchangeImpl.ros is " + out);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new IllegalStateException(
          "local-oss: this JDK's HTTP server hides its socket stream ("
              + e
              + "); close-delimited faults need JDK 17's jdk.httpserver",
          e);
    }
  }

  @SuppressWarnings("removal")
  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    Field f = owner.getClass().getDeclaredField(name);
    sun.misc.Unsafe u = unsafe();
    return u.getObject(owner, u.objectFieldOffset(f));
  }

  private static sun.misc.Unsafe unsafe() throws ReflectiveOperationException {
    Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
    f.setAccessible(true);
    return (sun.misc.Unsafe) f.get(null);
  }
}
