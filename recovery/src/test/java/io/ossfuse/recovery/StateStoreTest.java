package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
  @TempDir Path dir;

  private static DaemonState state(String... targets) {
    MountSpec spec = new MountSpec("oss://bucket/dir", "/mnt/data", "raw", null,
        Json.mapper().createObjectNode().put("endpoint", "http://127.0.0.1:1").put("credDir", "/etc/oss"));
    List<BindTarget> ts = java.util.Arrays.stream(targets).map(t -> new BindTarget(t, "")).toList();
    return new DaemonState(DaemonState.VERSION, List.of(new MountRecord(spec, ts, 42L, "2026-11-25T17:00:00Z")));
  }

  @Test
  void roundTripsAndKeepsThePreviousVersion() throws Exception {
    StateStore s = new StateStore(dir.resolve("state.json"));
    assertEquals(DaemonState.empty(), s.load());
    s.save(state("/pods/a"));
    s.save(state("/pods/a", "/pods/b"));
    assertEquals(state("/pods/a", "/pods/b"), s.load());
    assertEquals(state("/pods/a"), new StateStore(dir.resolve("state.json.prev")).load());
    assertTrue(Files.notExists(dir.resolve("state.json.tmp")), "no temp file left behind");
  }

  @Test
  void corruptFileFallsBackToPrevious() throws Exception {
    StateStore s = new StateStore(dir.resolve("state.json"));
    s.save(state("/pods/a"));
    s.save(state("/pods/a", "/pods/b"));
    Files.writeString(dir.resolve("state.json"), "{\"version\":1,\"mounts\":[{");
    assertEquals(state("/pods/a"), s.load());
    // The next save must not push the good .prev out with the corrupt file.
    s.save(state("/pods/c"));
    assertEquals(state("/pods/a"), new StateStore(dir.resolve("state.json.prev")).load());
    assertEquals(state("/pods/c"), s.load());
  }

  @Test
  void bothUnreadableStartsEmpty() throws Exception {
    Files.writeString(dir.resolve("state.json"), "garbage");
    Files.writeString(dir.resolve("state.json.prev"), "");
    assertEquals(DaemonState.empty(), new StateStore(dir.resolve("state.json")).load());
  }
}
