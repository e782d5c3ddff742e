package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad --metrics-addr stops the daemon before it starts anything, with one line. */
class MetricsAddrTest {
  @TempDir Path tmp;

  @Test
  void badAddressIsOneLineAndExit2() throws Exception {
    PrintStream saved = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code;
    try {
      System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
      code =
          Main.run(
              new String[] {
                "daemon",
                "--socket",
                tmp.resolve("d.sock").toString(),
                "--state",
                tmp.resolve("state.json").toString(),
                "--log-dir",
                tmp.resolve("logs").toString(),
                "--metrics-addr",
                "localhost:http"
              },
              new PrintWriter(new StringWriter()),
              new PrintWriter(new StringWriter()));
    } finally {
      System.setErr(saved);
    }
    String err = buf.toString(StandardCharsets.UTF_8);
    assertEquals(2, code, err);
    assertEquals(1, err.strip().lines().count(), err);
    assertTrue(
        err.startsWith("ossfuse daemon: --metrics-addr 'localhost:http' has no valid port"), err);
    assertTrue(Files.notExists(tmp.resolve("d.sock")), "nothing started");
  }
}
