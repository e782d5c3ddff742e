package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.mount.MountOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code -o passthrough=on|off}: parsed, kept in the options' JSON (the daemon's state), default
 * on.
 */
class PassthroughOptionTest {
  static MountOptions parse(String... args) {
    MountCommand cmd = new MountCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd.mountOptions();
  }

  @Test
  void offTurnsItOffEverywhereAndSurvivesTheStateFile() {
    MountOptions off =
        parse(
            "oss://bkt",
            "/m",
            "--endpoint",
            "http://127.0.0.1:1",
            "--transport",
            "raw",
            "-o",
            "passthrough=off");
    assertFalse(off.passthroughEnabled());
    assertFalse(off.fsOptions().passthrough());
    assertEquals(Boolean.FALSE, MountOptions.fromJson(off.toJson()).passthrough());
  }

  @Test
  void onByDefaultWithTheRawTransportOnly() {
    MountOptions raw =
        parse("oss://bkt", "/m", "--endpoint", "http://127.0.0.1:1", "--transport", "raw");
    assertNull(raw.passthrough());
    assertTrue(raw.passthroughEnabled());
    assertTrue(raw.fsOptions().passthrough());
    assertFalse(raw.toJson().contains("passthrough"), "absent from the JSON unless set");
    MountOptions jnr =
        parse("oss://bkt", "/m", "--endpoint", "http://127.0.0.1:1", "--transport", "jnr");
    assertFalse(
        jnr.fsOptions().passthrough(), "jnr cannot hand the kernel a file: no whole-object files");
  }

  @Test
  void aWrongValueIsOneLine() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                parse(
                    "oss://bkt",
                    "/m",
                    "--endpoint",
                    "http://127.0.0.1:1",
                    "-o",
                    "passthrough=maybe"));
    assertEquals("-o passthrough needs on or off, got 'maybe'", e.getMessage());
  }
}
