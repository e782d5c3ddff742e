package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitStoreTest {
  @TempDir Path dir;

  @Test
  void roundTripsPerSessionAndIgnoresOtherSessions() throws Exception {
    SessionState s = new SessionState(dir, "42-abc");
    InitStore store = new InitStore(s);
    assertTrue(store.load().isEmpty());
    Negotiation n =
        new Negotiation("42-abc", 7, 45, 0x5fd73fffffbL, 40, 0x44f021L, 131072, 1 << 20, 256);
    store.save(n);
    assertEquals(n, store.load().orElseThrow());
    assertTrue(n.resendSupported());
    assertTrue(
        new InitStore(new SessionState(dir, "43-def")).load().isEmpty(), "another mount's record");
    assertFalse(Files.exists(dir.resolve(InitStore.FILE + ".tmp")), "no temp file left");
  }

  @Test
  void corruptRecordIsOneClearError() throws Exception {
    Files.writeString(dir.resolve(InitStore.FILE), "session=x\nkernelMinor=zz\n");
    var e =
        assertThrows(
            java.io.IOException.class, () -> new InitStore(new SessionState(dir, "x")).load());
    assertTrue(e.getMessage().contains("delete it"), e.getMessage());
  }

  @Test
  void sessionStateTravelsThroughTheEnvironment() {
    SessionState s = new SessionState(dir, "7-x");
    assertEquals(s, SessionState.fromEnvironment(s.environment()));
    var e =
        assertThrows(IllegalArgumentException.class, () -> SessionState.fromEnvironment(Map.of()));
    assertTrue(e.getMessage().contains(SessionState.ENV_SESSION));
    assertThrows(IllegalArgumentException.class, () -> new SessionState(dir, "a b"));
  }

  @Test
  void configValidationNamesTheField() {
    var e =
        assertThrows(IllegalArgumentException.class, () -> RawFuseConfig.defaults().withWorkers(0));
    assertTrue(e.getMessage().startsWith("workers=0"), e.getMessage());
  }
}
