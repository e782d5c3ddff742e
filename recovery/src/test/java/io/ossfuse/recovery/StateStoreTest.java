package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StateStoreTest {
  @TempDir Path dir;

  private static DaemonState state(String... targets) {
    return new DaemonState(DaemonState.VERSION, List.of(record("/mnt/data", targets)));
  }

  private static MountRecord record(String mountpoint, String... targets) {
    MountSpec spec =
        new MountSpec(
            "oss://bucket/dir",
            mountpoint,
            "raw",
            null,
            Json.mapper()
                .createObjectNode()
                .put("source", "oss://bucket/dir")
                .put("mountpoint", mountpoint)
                .put("endpoint", "http://127.0.0.1:1")
                .put("credDir", "/etc/oss"));
    List<BindTarget> ts = java.util.Arrays.stream(targets).map(t -> new BindTarget(t, "")).toList();
    return new MountRecord(spec, ts, 42L, "2026-11-25T17:00:00Z");
  }

  private List<Path> rejectedFiles() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("state.json.rejected-")).toList();
    }
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
  void stateFilesAreRootOnly() throws Exception {
    Path file = dir.resolve("state/state.json");
    StateStore s = new StateStore(file);
    s.save(state("/pods/a"));
    s.save(state("/pods/b"));
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(
            Files.getPosixFilePermissions(dir.resolve("state/state.json.prev"))));
    // a file an older daemon wrote world-readable is replaced by a 0600 one on the next save
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    s.save(state("/pods/c"));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
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

  /** Valid JSON that is not a state file of this version: never read as "no mounts". */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "{\"mounts\":null}",
        "{\"version\":99}",
        "{\"version\":99,\"mounts\":[]}",
        "{\"version\":1}",
        "{\"version\":1,\"mounts\":null}",
        "{\"version\":\"1\",\"mounts\":[]}",
        "[]",
        "null",
        ""
      })
  void unknownContentFallsBackToPreviousElseRefuses(String content) throws Exception {
    StateStore s = new StateStore(dir.resolve("state.json"));
    s.save(state("/pods/a"));
    s.save(state("/pods/a", "/pods/b"));
    Files.writeString(dir.resolve("state.json"), content);
    assertEquals(state("/pods/a"), s.load(), "the previous version");

    Files.writeString(dir.resolve("state.json"), content);
    Files.delete(dir.resolve("state.json.prev"));
    StateFileException e = assertThrows(StateFileException.class, s::load);
    assertTrue(
        e.getMessage().contains(dir.resolve("state.json").toString())
            && e.getMessage().contains("move both aside")
            && !e.getMessage().contains("\n"),
        e.getMessage());
  }

  @Test
  void bothUnreadableRefusesWithOneLine() throws Exception {
    Files.writeString(dir.resolve("state.json"), "garbage");
    Files.writeString(dir.resolve("state.json.prev"), "");
    StateFileException e =
        assertThrows(
            StateFileException.class, () -> new StateStore(dir.resolve("state.json")).load());
    assertTrue(
        e.getMessage().startsWith("state file " + dir.resolve("state.json") + " is unreadable (")
            && e.getMessage().contains("state.json.prev (empty file)")
            && !e.getMessage().contains("\n"),
        e.getMessage());
    assertEquals("garbage", Files.readString(dir.resolve("state.json")), "nothing overwritten");
  }

  @Test
  void badEntriesAreSkippedKeptAsideAndTheRestServed() throws Exception {
    MountRecord good1 = record("/mnt/one", "/pods/a");
    MountRecord good2 = record("/mnt/two");
    ArrayNode mounts = Json.mapper().createArrayNode();
    mounts.add(Json.mapper().valueToTree(good1));
    mounts.addObject(); // {}: "spec" is null
    mounts.add("not an object");
    mounts
        .addObject()
        .putObject("spec")
        .put("source", "/src")
        .put("mountpoint", "relative")
        .put("driver", "bindfs");
    ObjectNode noOptions = mounts.addObject();
    noOptions
        .putObject("spec")
        .put("source", "oss://b/d")
        .put("mountpoint", "/mnt/x")
        .put("driver", "ossfuse");
    ObjectNode badOptions = Json.mapper().valueToTree(record("/mnt/y"));
    ((ObjectNode) badOptions.get("spec").get("options")).remove("endpoint");
    mounts.add(badOptions);
    ObjectNode badPid = Json.mapper().valueToTree(record("/mnt/z"));
    badPid.put("childPid", 0);
    mounts.add(badPid);
    ObjectNode badTarget = Json.mapper().valueToTree(record("/mnt/t"));
    badTarget.putArray("targets").addObject().put("target", "pods/relative");
    mounts.add(badTarget);
    mounts.add(Json.mapper().valueToTree(record("/mnt/one", "/pods/dup"))); // a second /mnt/one
    mounts.add(Json.mapper().valueToTree(good2));
    ObjectNode root = Json.mapper().createObjectNode().put("version", 1);
    root.set("mounts", mounts);
    Path file = dir.resolve("state.json");
    Files.write(file, Json.mapper().writeValueAsBytes(root));

    StateStore s = new StateStore(file);
    assertEquals(List.of(good1, good2), s.load().mounts());

    List<Path> aside = rejectedFiles();
    assertEquals(1, aside.size(), "one file with the skipped entries");
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(aside.get(0))));
    JsonNode rejected = Json.mapper().readTree(aside.get(0).toFile()).get("rejected");
    assertEquals(mounts.size() - 2, rejected.size());
    assertEquals(mounts.get(1), rejected.get(0).get("entry"), "the entry as it was");
    assertEquals("no mount spec", rejected.get(0).get("reason").asText());
    assertTrue(rejected.get(2).get("reason").asText().contains("absolute"), rejected.toString());
    assertTrue(rejected.get(4).get("reason").asText().contains("endpoint"), rejected.toString());
    assertTrue(
        rejected.get(7).get("reason").asText().contains("same mountpoint"), rejected.toString());

    // the good entries were saved, so the next start finds nothing to skip
    assertEquals(List.of(good1, good2), new StateStore(file).load().mounts());
    assertEquals(1, rejectedFiles().size());
  }
}
