package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The training run of the class archive (bin/ossfuse adds the JVM options; DistributionIT checks
 * the archive): it mounts a local endpoint's sample data, reads every file, and leaves nothing (nor
 * what a killed one left).
 */
final class ClassArchiveCommandTest {
  @Test
  @Timeout(120)
  void trainingReadsASampleMountAndCleansUp() throws IOException {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    Path abandoned = Files.createTempDirectory("ossfuse-class-archive-");
    Files.writeString(abandoned.resolve("left"), "by a killed training");
    Files.setLastModifiedTime(
        abandoned,
        java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(7200)));
    long before = leftovers(tmp);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int rc =
        Main.run(
            new String[] {"class-archive"}, new PrintWriter(out, true), new PrintWriter(err, true));
    assertEquals(0, rc, err.toString());
    assertTrue(
        out.toString().matches("(?s)class-archive training: 3 rounds over [1-9]\\d* files .*"),
        out.toString());
    assertEquals(before, leftovers(tmp), "its temporary directory is removed");
    assertTrue(Files.notExists(abandoned), "one a killed training left, over an hour old, too");
  }

  /** This JVM's trainings only: others (a build or bench beside the tests) train in /tmp too. */
  private static long leftovers(Path tmp) throws IOException {
    String mine = "ossfuse-class-archive-" + ProcessHandle.current().pid() + "-";
    try (Stream<Path> s = Files.list(tmp)) {
      return s.filter(p -> p.getFileName().toString().startsWith(mine)).count();
    }
  }
}
