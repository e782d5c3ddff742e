package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.store.ObjectChangedException;
import io.ossfuse.store.ObjectStoreException;
import io.ossfuse.store.ObjectStoreException.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ErrorsTest {
  @Test
  void storeKindsMapToErrnos() {
    assertEquals(Errno.ENOENT, Errors.errnoOf(new ObjectStoreException(Kind.NOT_FOUND, "x")));
    assertEquals(Errno.EACCES, Errors.errnoOf(new ObjectStoreException(Kind.ACCESS_DENIED, "x")));
    assertEquals(Errno.EIO, Errors.errnoOf(new ObjectStoreException(Kind.UNAVAILABLE, "x")));
    assertEquals(Errno.EIO, Errors.errnoOf(new ObjectStoreException(Kind.NO_SUCH_BUCKET, "x")));
    assertEquals(Errno.EIO, Errors.errnoOf(new ObjectChangedException("k", "e")));
    assertEquals(Errno.EIO, Errors.errnoOf(new IllegalStateException("bug")));
  }

  @Test
  void wrappersOfCachesAndFuturesAreSeenThrough() {
    class CacheLoadException extends IOException {
      CacheLoadException(Throwable c) {
        super("load failed", c);
      }
    }
    Throwable deep =
        new CompletionException(
            new UncheckedIOException(
                new CacheLoadException(new ObjectStoreException(Kind.ACCESS_DENIED, "403"))));
    assertEquals(Errno.EACCES, Errors.errnoOf(deep));
    assertInstanceOf(
        ObjectChangedException.class,
        Errors.unwrap(new IOException(new ObjectChangedException("k", "e"))));
    FsException fe = new FsException(Errno.EROFS, "ro");
    assertSame(fe, Errors.toFs(new RuntimeException(fe), "op"));
  }

  @Test
  void transportsReplyWithTheNegatedErrnoAndEioForAnythingElse() {
    assertEquals(-30, Errors.reply(new FsException(Errno.EROFS, "ro"), "open", "/a"));
    assertEquals(-116, Errors.reply(new FsException(Errno.ESTALE, "gone"), "opcode 3", "node 7"));
    assertEquals(-5, Errors.reply(new IllegalStateException("bug"), "read", "/a"));
    assertEquals(
        -5,
        Errors.reply(
            new ObjectStoreException(Kind.NOT_FOUND, "a store failure is not an answer"),
            "read",
            "/a"));
  }
}
