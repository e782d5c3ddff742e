package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sd_notify over a real AF_UNIX datagram socket, received the way systemd receives it. */
class SdNotifyTest {
  @TempDir Path tmp;

  @Test
  void readyArrivesOnAPathSocket() {
    String path = tmp.resolve("notify.sock").toString();
    assertEquals(
        "READY=1\nSTATUS=serving 2 mounts", roundTrip(path, "READY=1\nSTATUS=serving 2 mounts"));
  }

  @Test
  void readyArrivesOnAnAbstractSocket() {
    String name = "@ossfuse-sdnotify-test-" + ProcessHandle.current().pid();
    assertEquals("READY=1", roundTrip(name, "READY=1"));
  }

  @Test
  void withoutNotifySocketNothingIsSent() {
    assertFalse(SdNotify.notify(Map.of(), "READY=1"));
  }

  @Test
  void aSocketNobodyListensOnIsLoggedNotThrown() {
    assertFalse(
        SdNotify.notify(Map.of("NOTIFY_SOCKET", tmp.resolve("nobody.sock").toString()), "READY=1"));
  }

  private static String roundTrip(String socket, String message) {
    SdNotify.LibC libc = SdNotify.LibC.INSTANCE;
    int fd = libc.socket(SdNotify.AF_UNIX, SdNotify.SOCK_DGRAM | SdNotify.SOCK_CLOEXEC, 0);
    assertTrue(fd >= 0, "socket");
    try {
      assertEquals(
          0,
          libc.bind(fd, SdNotify.address(socket), SdNotify.addrLength(socket)),
          () -> "bind: " + libc.strerror(SdNotify.errno()));
      assertTrue(SdNotify.notify(Map.of("NOTIFY_SOCKET", socket), message));
      byte[] buf = new byte[4096];
      long n = libc.recv(fd, buf, buf.length, 0);
      assertTrue(n > 0, "recv");
      return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
    } finally {
      libc.close(fd);
    }
  }
}
