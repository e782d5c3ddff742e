package io.ossfuse.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.cache.MediumType;
import io.ossfuse.cache.TierLevel;
import io.ossfuse.cache.TieredStoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/** The distribution Maven built: layout, modes, and the launcher's behaviour. */
@EnabledIfSystemProperty(
    named = "ossfuse.dist.built",
    matches = "true",
    disabledReason = "needs the distribution: runs at integration-test, after package")
class DistributionIT {

  @Test
  void tarballHoldsTheDistributionUnderOneTopDirectory() {
    String top = "ossfuse-" + Project.version() + "/";
    List<String> listing =
        Cmd.run(List.of("tar", "-tvzf", Project.tarball().toString()))
            .expectSuccess()
            .output()
            .lines()
            .toList();
    Set<String> names = new TreeSet<>();
    for (String line : listing) {
      String name = line.substring(line.lastIndexOf(' ') + 1);
      assertTrue(name.startsWith(top), "entry outside " + top + ": " + name);
      names.add(name.substring(top.length()));
      if (name.equals(top + "bin/ossfuse")) {
        assertTrue(line.startsWith("-rwxr-xr-x"), "launcher must be executable: " + line);
      }
    }
    for (String expected :
        List.of(
            "bin/ossfuse",
            "README.md",
            "conf/tieredstore.yaml",
            "conf/ossfuse.env",
            "conf/config.yaml",
            "conf/credentials.example/README",
            "conf/credentials.example/fs.oss.accessKeyId",
            "conf/credentials.example/fs.oss.accessKeySecret",
            "systemd/ossfuse.service",
            "docker/Dockerfile",
            "k8s/daemonset.yaml",
            "k8s/app-pod.yaml",
            "lib/cli-" + Project.version() + ".jar",
            "lib/recovery-" + Project.version() + ".jar",
            "lib/fuse-core-" + Project.version() + ".jar",
            "lib/cache-tier-" + Project.version() + ".jar")) {
      assertTrue(names.contains(expected), "tarball lacks " + expected);
    }
    assertTrue(
        names.stream().anyMatch(n -> n.matches("lib/picocli-[0-9.]+\\.jar")),
        "picocli missing from lib/");
    List<String> unwanted =
        names.stream()
            .filter(n -> n.matches("lib/(packaging|junit|testcontainers|docker-java).*"))
            .toList();
    assertEquals(List.of(), unwanted, "test-only or build-only jars in lib/");
  }

  @Test
  void unpackedDirectoryIsTheSameTreeAsTheTarball() throws IOException {
    String top = "ossfuse-" + Project.version() + "/";
    Set<String> inTar =
        Cmd.run(List.of("tar", "-tzf", Project.tarball().toString()))
            .expectSuccess()
            .output()
            .lines()
            .filter(n -> !n.endsWith("/"))
            .map(n -> n.substring(top.length()))
            .collect(Collectors.toCollection(TreeSet::new));
    Path dir = Project.distDir();
    Set<String> inDir;
    try (Stream<Path> walk = Files.walk(dir)) {
      inDir =
          walk.filter(Files::isRegularFile)
              .map(p -> dir.relativize(p).toString())
              .collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(inTar, inDir);
    assertTrue(Files.isExecutable(dir.resolve("bin/ossfuse")));
  }

  @Test
  void exampleCredentialsHoldNoKey() throws IOException {
    Path dir = Project.distDir().resolve("conf/credentials.example");
    for (String file : List.of("fs.oss.accessKeyId", "fs.oss.accessKeySecret")) {
      assertTrue(
          Files.readString(dir.resolve(file)).startsWith("<your AccessKey"),
          file + " must be a placeholder");
    }
  }

  /**
   * The example cache config is accepted by the code that reads it, with the levels it documents.
   */
  @Test
  void exampleTieredStoreConfigParses() {
    TieredStoreConfig config =
        TieredStoreConfig.load(Project.distDir().resolve("conf/tieredstore.yaml"));
    assertEquals(
        List.of(MediumType.MEM, MediumType.SSD),
        config.levels().stream().map(TierLevel::mediumType).toList());
    TierLevel mem = config.levels().get(0);
    assertEquals(List.of(Path.of("/dev/shm/ossfuse")), mem.paths());
    assertEquals(2L << 30, mem.quota());
    assertEquals(0.95, mem.high());
    assertEquals(0.7, mem.low());
  }

  /** The example config file passes `ossfuse config check` of the CLI it ships with. */
  @Test
  void exampleConfigFilePassesConfigCheck() {
    Path config = Project.distDir().resolve("conf/config.yaml");
    Cmd check =
        Cmd.run(
            List.of(
                Project.distDir().resolve("bin/ossfuse").toString(),
                "config",
                "check",
                config.toString()),
            Map.of(),
            60);
    assertEquals(0, check.exit(), check.output());
    assertTrue(check.output().strip().matches(".*: OK \\(\\d+ settings\\)"), check.output());
  }

  /** The real JVM and CLI behind the launcher (the container test runs it in the image too). */
  @Test
  void launcherRunsTheRealCli() {
    Cmd help =
        Cmd.run(
                List.of(Project.distDir().resolve("bin/ossfuse").toString(), "--help"),
                Map.of(),
                60)
            .expectSuccess();
    assertTrue(help.output().startsWith("Usage: ossfuse"), help.output());
    assertTrue(help.output().contains("mount"), help.output());
    Cmd bad =
        Cmd.run(
            List.of(
                Project.distDir().resolve("bin/ossfuse").toString(),
                "mount",
                "not-a-url",
                "/nonexistent"),
            Map.of(),
            60);
    assertTrue(bad.exit() != 0, bad.output());
    assertEquals(
        1, bad.output().strip().lines().count(), "one line, no stack trace:\n" + bad.output());
  }

  /**
   * The launcher resolves its home through a symlink (as installed in /usr/local/bin), checks the
   * Java version, and execs the CLI main class with its JVM options and the arguments unchanged. A
   * fake java that prints its argv stands in for the JVM here; the container test runs the real
   * one.
   */
  @Test
  void launcherExecsTheCliMainClassWithArgumentsVerbatim(@TempDir Path tmp) throws IOException {
    Path javaHome = fakeJava(tmp, "17.0.9");
    Path link = tmp.resolve("ossfuse");
    Files.createSymbolicLink(link, Project.distDir().resolve("bin/ossfuse"));
    Cmd run =
        Cmd.run(
                List.of(link.toString(), "status", "--json", "two words", "*"),
                Map.of("JAVA_HOME", javaHome.toString(), "OSSFUSE_JAVA_OPTS", "-Dx=1 -Dy=2"),
                30)
            .expectSuccess();
    List<String> argv = run.output().lines().toList();
    String home = Project.distDir().toRealPath().toString();
    assertEquals(
        List.of("status", "--json", "two words", "*"),
        argv.subList(argv.size() - 6, argv.size() - 2));
    assertEquals("io.ossfuse.cli.Main", argv.get(argv.size() - 7));
    try (var jars = Files.list(Project.distDir().resolve("lib"))) {
      assertEquals(
          String.join(":", jars.map(j -> home + "/lib/" + j.getFileName()).sorted().toList()),
          argv.get(argv.indexOf("-cp") + 1),
          "every jar of lib/ spelled out in order (a class archive needs the same classpath)");
    }
    assertTrue(argv.contains("-XX:+ExitOnOutOfMemoryError"), argv.toString());
    assertTrue(
        argv.contains("-Dfile.encoding=UTF-8") && argv.contains("-Dsun.jnu.encoding=UTF-8"),
        argv.toString());
    assertTrue(
        argv.contains("-XX:TieredStopAtLevel=1"), "short commands start with C1 only: " + argv);
    assertTrue(
        argv.indexOf("-Dy=2") < argv.indexOf("-cp")
            && argv.indexOf("-Dx=1") > argv.indexOf("-Xmx128m"),
        "OSSFUSE_JAVA_OPTS come after the launcher's options: " + argv);
    assertTrue(argv.contains("OSSFUSE_HOME=" + home), "OSSFUSE_HOME exported: " + argv);
  }

  @Test
  void launcherGivesTheDaemonG1AndC1(@TempDir Path tmp) throws IOException {
    Cmd run =
        Cmd.run(
                List.of(Project.distDir().resolve("bin/ossfuse").toString(), "daemon"),
                Map.of(
                    "JAVA_HOME",
                    fakeJava(tmp, "21.0.1").toString(),
                    "OSSFUSE_CLASS_ARCHIVE",
                    "off"),
                30)
            .expectSuccess();
    assertTrue(run.output().contains("-XX:+UseG1GC"), run.output());
    assertTrue(run.output().contains("-XX:TieredStopAtLevel=1"), run.output());
    assertFalse(run.output().contains("SharedArchiveFile"), "=off: " + run.output());
  }

  /**
   * `class-archive` writes the installation's archive from a real JVM, and long-running commands
   * then map it (children through OSSFUSE_CLASS_ARCHIVE); short commands never do.
   */
  @Test
  void classArchiveIsWrittenOnceAndMappedByLongRunningCommands(@TempDir Path tmp)
      throws IOException {
    String launcher = Project.distDir().resolve("bin/ossfuse").toString();
    Path archive = tmp.resolve("cds/ossfuse-1-2.jsa");
    Map<String, String> env = Map.of("OSSFUSE_CLASS_ARCHIVE", archive.toString());
    Cmd train = Cmd.run(List.of(launcher, "class-archive"), env, 300).expectSuccess();
    assertTrue(train.output().contains("class archive written: " + archive), train.output());
    assertTrue(Files.size(archive) > 1 << 20, "an archive of the mount's classes");
    Cmd again = Cmd.run(List.of(launcher, "class-archive"), env, 60).expectSuccess();
    assertTrue(again.output().contains("class archive present"), again.output());

    Map<String, String> fake =
        Map.of(
            "JAVA_HOME",
            fakeJava(tmp, "17.0.9").toString(),
            "OSSFUSE_CLASS_ARCHIVE",
            archive.toString());
    for (String cmd : List.of("daemon", "fluid", "mount -f", "mount -vf", "demo")) {
      List<String> argv = new java.util.ArrayList<>(List.of(launcher));
      argv.addAll(List.of(cmd.split(" ")));
      Cmd run = Cmd.run(argv, fake, 30).expectSuccess();
      assertTrue(
          run.output().contains("-XX:SharedArchiveFile=" + archive), cmd + ": " + run.output());
      assertTrue(
          run.output().contains("OSSFUSE_CLASS_ARCHIVE=" + archive),
          "for children: " + run.output());
    }
    for (String cmd : List.of("status", "mount")) { // a mount without -f only asks the daemon
      Cmd run = Cmd.run(List.of(launcher, cmd), fake, 30).expectSuccess();
      assertFalse(run.output().contains("SharedArchiveFile"), cmd + ": " + run.output());
    }
  }

  /** An archive that does not match this JVM and classpath: the JVM says so in one line. */
  @Test
  void aForeignClassArchiveCostsOneLine(@TempDir Path tmp) throws IOException {
    Path foreign = tmp.resolve("foreign.jsa");
    // the archive of a copy of the distribution: its classes come from other jar paths
    Path copy = tmp.resolve("copy");
    Cmd.run(List.of("cp", "-a", Project.distDir().toString(), copy.toString()), Map.of(), 60)
        .expectSuccess();
    Cmd.run(
            List.of(copy.resolve("bin/ossfuse").toString(), "class-archive"),
            Map.of("OSSFUSE_CLASS_ARCHIVE", foreign.toString()),
            300)
        .expectSuccess();
    Cmd run =
        Cmd.run(
                List.of(
                    Project.distDir().resolve("bin/ossfuse").toString(),
                    "mount",
                    "--foreground",
                    "--version"),
                Map.of("OSSFUSE_CLASS_ARCHIVE", foreign.toString()),
                60)
            .expectSuccess();
    List<String> lines = run.output().strip().lines().toList();
    assertEquals(
        1, lines.stream().filter(l -> l.contains("warning")).count(), "one line: " + run.output());
    assertTrue(lines.get(0).contains("Unable to use shared archive"), run.output());
  }

  /** Global options before the command, as the CLI accepts them, still pick the command's JVM. */
  @Test
  void launcherFindsTheCommandBehindGlobalOptions(@TempDir Path tmp) throws IOException {
    Path javaHome = fakeJava(tmp, "17.0.9");
    String launcher = Project.distDir().resolve("bin/ossfuse").toString();
    for (List<String> args :
        List.of(
            List.of("--config", "/etc/ossfuse/config.yaml", "daemon"),
            List.of("-v", "mount", "oss://b/d", "/mnt"))) {
      List<String> cmd = new java.util.ArrayList<>(List.of(launcher));
      cmd.addAll(args);
      Cmd run =
          Cmd.run(cmd, Map.of("JAVA_HOME", javaHome.toString(), "OSSFUSE_CLASS_ARCHIVE", "off"), 30)
              .expectSuccess();
      assertTrue(run.output().contains("-XX:+UseG1GC"), args + ": " + run.output());
      assertFalse(run.output().contains("-Xmx128m"), args + ": " + run.output());
    }
    // a config file named like a command is still the option's value
    Cmd status =
        Cmd.run(
                List.of(launcher, "--config", "daemon", "status"),
                Map.of("JAVA_HOME", javaHome.toString()),
                30)
            .expectSuccess();
    assertTrue(status.output().contains("-XX:TieredStopAtLevel=1"), status.output());
  }

  @Test
  void launcherRefusesAnOldJavaInOneLine(@TempDir Path tmp) throws IOException {
    Cmd run =
        Cmd.run(
            List.of(Project.distDir().resolve("bin/ossfuse").toString(), "--help"),
            Map.of("JAVA_HOME", fakeJava(tmp, "1.8.0_392").toString()),
            30);
    assertEquals(1, run.exit());
    assertEquals(1, run.output().strip().lines().count(), run.output());
    assertTrue(
        run.output().contains("is Java 1.8.0_392; ossfuse needs Java 17 or newer"), run.output());
  }

  @Test
  void launcherNamesABadJavaHomeInOneLine() {
    Cmd run =
        Cmd.run(
            List.of(Project.distDir().resolve("bin/ossfuse").toString(), "--help"),
            Map.of("JAVA_HOME", "/nonexistent/jdk"),
            30);
    assertEquals(1, run.exit());
    assertEquals(
        "ossfuse: JAVA_HOME=/nonexistent/jdk has no bin/java; fix JAVA_HOME or unset it to use java from PATH",
        run.output().strip());
  }

  /**
   * A JAVA_HOME whose java reports {@code version} and otherwise prints each argument on a line.
   */
  private static Path fakeJava(Path tmp, String version) throws IOException {
    Path home = tmp.resolve("jdk-" + version);
    Path java = home.resolve("bin/java");
    Files.createDirectories(java.getParent());
    Files.writeString(
        java,
        String.join(
            "\n",
            "#!/bin/sh",
            "if [ \"$1\" = -version ]; then echo 'openjdk version \""
                + version
                + "\" 2024-01-01' >&2; exit 0; fi",
            "for a in \"$@\"; do printf '%s\\n' \"$a\"; done",
            "echo \"OSSFUSE_HOME=$OSSFUSE_HOME\"",
            "echo \"OSSFUSE_CLASS_ARCHIVE=$OSSFUSE_CLASS_ARCHIVE\"",
            ""));
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    return home;
  }
}
