package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's start with a state file it cannot fully use: never an exception exit, never silence.
 */
class DaemonStateFileTest {
  @TempDir Path base;

  private DaemonConfig config() {
    return DaemonConfig.builder()
        .socket(base.resolve("run/ossfuse.sock"))
        .stateFile(base.resolve("state/state.json"))
        .allowedRoot(base.resolve("pods"))
        .logDir(base.resolve("logs"))
        .build();
  }

  private void writeState(String content) throws Exception {
    Files.createDirectories(base.resolve("state"));
    Files.writeString(base.resolve("state/state.json"), content);
  }

  @Test
  void anEntryWithoutSpecIsSkippedAndTheDaemonServes() throws Exception {
    writeState("{\"version\":1,\"mounts\":[{}]}");
    try (Daemon d = Daemon.start(config())) {
      ControlResponse r = d.handle(ControlRequest.status());
      assertTrue(r.ok() && r.mounts().isEmpty(), r.toString());
    }
    try (Stream<Path> s = Files.list(base.resolve("state"))) {
      assertTrue(
          s.anyMatch(p -> p.getFileName().toString().startsWith("state.json.rejected-")),
          "the entry is kept aside");
    }
  }

  @Test
  void anUnknownVersionWithoutPreviousVersionRefusesToStart() throws Exception {
    writeState("{\"version\":99}");
    StateFileException e =
        assertThrows(StateFileException.class, () -> Daemon.start(config()).close());
    assertTrue(e.getMessage().contains("version 99"), e.getMessage());
    assertFalse(
        Files.exists(base.resolve("run/ossfuse.sock")),
        "no control socket: the daemon did not start");
    assertEquals(
        "{\"version\":99}",
        Files.readString(base.resolve("state/state.json")),
        "the file is left as it was");
  }
}
