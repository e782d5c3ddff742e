package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ossfuse config check}: did-you-mean, durations, the tieredstore file, and the metrics
 * flag.
 */
class ConfigHintsTest {
  @TempDir Path tmp;

  private record Run(int code, String out, String err) {}

  private Run check(Path file) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        Main.run(
            new String[] {"config", "check", file.toString()},
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void oneLinePerProblemWithTheClosestName() throws Exception {
    Path tier = tmp.resolve("tier.yaml");
    Files.writeString(
        tier,
        """
        tieredstore:
          levels:
            - mediumtype: MEM
              path: /dev/shm/x
              quota: 1Gi
              high: "0.5"
              low: "0.9"
        """);
    Path cfg = tmp.resolve("c.yaml");
    Files.writeString(
        cfg,
        """
        mout:
          endpoint: x
        daemon:
          probe-intervall: 2s
          probe-timeout: often
          metrics-addr: 127.0.0.1:9464
        mount:
          cred-dirr: /etc/oss-secret
          tieredstore: %s
        """
            .formatted(tier));
    Run r = check(cfg);
    assertEquals(1, r.code());
    List<String> lines = r.err().lines().toList();
    assertEquals(5, lines.size(), r.err());
    for (String l : lines) assertTrue(l.startsWith(cfg + ": "), l);
    assertTrue(
        lines.get(0).startsWith(cfg + ": mout: unknown command or flag")
            && lines.get(0).endsWith("; did you mean 'mount'?"),
        lines.get(0));
    assertTrue(lines.get(1).endsWith("; did you mean 'probe-interval'?"), lines.get(1));
    assertEquals(
        cfg + ": daemon.probe-timeout: 'often' is not a duration: use e.g. 500ms, 2s, 1m",
        lines.get(2));
    assertTrue(
        lines.get(3).startsWith(cfg + ": mount.cred-dirr: unknown flag")
            && lines.get(3).endsWith("; did you mean 'cred-dir'?"),
        lines.get(3));
    assertEquals(
        cfg
            + ": mount.tieredstore: "
            + tier
            + ": tieredstore.levels[0] (MEM): low 0.9 and high 0.5 are out of order; need 0 < low <= high <= 1",
        lines.get(4));
  }

  @Test
  void theShippedExampleStillPasses() {
    Path example = Path.of("..", "packaging", "src", "dist", "conf", "config.yaml");
    Run r = check(example);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith(example + ": OK"), r.out());
  }

  @Test
  void farNamesGetNoSuggestion() {
    assertEquals("", ConfigHints.didYouMean("colour", List.of("endpoint", "cred-dir")));
    assertEquals(
        "; did you mean 'cred-dir'?",
        ConfigHints.didYouMean("creddir", List.of("endpoint", "cred-dir")));
  }
}
