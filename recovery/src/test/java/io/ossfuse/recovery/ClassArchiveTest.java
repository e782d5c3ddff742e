package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real JVM writes the archive and a second one maps it. */
final class ClassArchiveTest {
  private static final String JAVA =
      Path.of(System.getProperty("java.home"), "bin", "java").toString();
  @TempDir Path dir;

  @Test
  void aBuildTreeClasspathGetsNoArchive() {
    ClassArchive a = ClassArchive.in(dir, JAVA, System.getProperty("java.class.path"), null);
    assertEquals(List.of(), a.useOptions());
  }

  @Test
  void childrenMapTheLaunchersArchiveUntilTheirOwnExists() throws Exception {
    String jar =
        Path.of(org.slf4j.Logger.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    Path launcher = dir.resolve("ossfuse-1-2.jsa");
    ClassArchive a = ClassArchive.in(dir.resolve("class-archive"), JAVA, jar, launcher.toString());
    assertEquals(List.of(), a.useOptions(), "neither exists yet");
    Files.writeString(launcher, "mapped by the launcher");
    assertEquals(List.of("-XX:SharedArchiveFile=" + launcher, "-Xlog:cds=off"), a.useOptions());
    assertEquals(
        List.of(),
        ClassArchive.in(dir.resolve("class-archive"), JAVA, jar, "off").useOptions(),
        "OSSFUSE_CLASS_ARCHIVE=off");
    assertEquals(
        List.of(),
        ClassArchive.in(dir, JAVA, System.getProperty("java.class.path"), launcher.toString())
            .useOptions(),
        "a build tree's classpath maps none");
  }

  @Test
  void aTrainingChildWritesTheArchiveTheNextChildMaps() throws Exception {
    String jar =
        Path.of(org.slf4j.Logger.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    assertTrue(jar.endsWith(".jar"), jar);
    Files.createDirectories(dir.resolve("class-archive"));
    Files.writeString(dir.resolve("class-archive/child-0000000000000000.jsa"), "an older build's");
    ClassArchive a = ClassArchive.in(dir.resolve("class-archive"), JAVA, jar, null);
    assertEquals(List.of(), a.useOptions(), "none before it is written");
    a.trainIfMissing(
        (jvm, env) -> {
          List<String> cmd = new ArrayList<>(List.of(JAVA));
          cmd.addAll(jvm);
          cmd.addAll(List.of("-cp", jar, "-version"));
          return new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("training.log").toFile());
        },
        "/mnt/test");
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (a.useOptions().isEmpty()) {
      if (System.nanoTime() > deadline)
        throw new AssertionError("no archive: " + Files.readString(dir.resolve("training.log")));
      Thread.sleep(100); // polling a condition, with a deadline
    }
    List<String> cmd = new ArrayList<>(List.of(JAVA));
    cmd.addAll(a.useOptions());
    cmd.addAll(
        List.of("-Xshare:on", "-cp", jar, "-version")); // :on fails if the archive cannot be mapped
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    try (Stream<Path> l = Files.list(dir.resolve("class-archive"))) {
      assertEquals(1, l.count(), "the older build's archive was removed");
    }
  }
}
