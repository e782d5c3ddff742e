package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Flag defaults from the YAML config file, and `ossfuse config check`. */
class ConfigDefaultsTest {
  @TempDir Path tmp;

  @Test
  void fileValuesBecomeFlagDefaultsAndFlagsWin() throws IOException {
    Path config =
        write(
            """
                mount:
                  endpoint: http://from-file:9000
                  metadata-ttl: 7
                  o: [allow_other, uid=1000]
                """);
    MountCommand m = parse(config, Map.of(), "mount", "oss://b/d", "/mnt/x");
    assertEquals("http://from-file:9000", m.endpoint);
    assertEquals(List.of("allow_other", "uid=1000"), m.fuseOptions);
    MountCommand flagged =
        parse(config, Map.of(), "mount", "oss://b/d", "/mnt/x", "--endpoint", "http://flag:1");
    assertEquals("http://flag:1", flagged.endpoint);
  }

  @Test
  void topLevelFlagAppliesToEveryCommandThatHasIt() throws IOException {
    Path config = write("endpoint: http://top:9000\n");
    assertEquals("http://top:9000", parse(config, Map.of(), "mount", "oss://b", "/mnt/x").endpoint);
  }

  /**
   * daemon and fluid share their daemon options through a mixin: the file reaches them in each
   * section.
   */
  @Test
  void sectionValuesReachTheSharedDaemonOptions() throws IOException {
    Path config =
        write(
            """
                daemon:
                  child-heap: 1g
                  log-dir: /from-file/daemon
                fluid:
                  child-heap: 2g
                """);
    DaemonCommand d = (DaemonCommand) parseAny(config, "daemon");
    assertEquals("1g", d.daemon.childHeap);
    assertEquals(Path.of("/from-file/daemon"), d.daemon.logDir);
    FluidCommand f = (FluidCommand) parseAny(config, "fluid", "--log-dir", "/flag");
    assertEquals("2g", f.daemon.childHeap);
    assertEquals(Path.of("/flag"), f.daemon.logDir);
  }

  @Test
  void builtInDefaultStaysWhenTheFileSaysNothing() throws IOException {
    Path config = write("mount: {}\n");
    assertEquals(null, parse(config, Map.of(), "mount", "oss://b", "/mnt/x").endpoint);
  }

  /** A flag whose default names an environment variable: a set variable beats the file. */
  @Test
  void environmentNamedByTheDefaultWinsOverTheFile() throws IOException {
    Path config = write("probe:\n  state: /from-file\n");
    assertEquals("/from-file", probe(config, Map.of()).state);
    assertEquals(
        "/builtin",
        probe(config, Map.of("OSSFUSE_TEST_UNSET_STATE", "/env")).state,
        "the file must not override a flag default taken from a set environment variable");
  }

  @Test
  void configFileFromTheEnvironmentVariable() throws IOException {
    Path config = write("mount:\n  endpoint: http://via-env:1\n");
    assertEquals(
        "http://via-env:1",
        parse(null, Map.of(ConfigDefaults.ENV, config.toString()), "mount", "oss://b", "/mnt/x")
            .endpoint);
  }

  @Test
  void namedFileThatIsMissingIsOneLineAndExit1() {
    Run r = run("--config", tmp.resolve("nope.yaml").toString(), "mount", "--help");
    assertEquals(Main.EXIT_ERROR, r.exit);
    assertEquals(1, r.err.strip().lines().count(), r.err);
    assertTrue(r.err.contains("nope.yaml cannot be read: no such file"), r.err);
  }

  @Test
  void checkAcceptsAGoodFile() throws IOException {
    Path config =
        write(
            """
                endpoint: http://top:9000
                mount:
                  metadata-ttl: 10
                  foreground: false
                  o: [allow_other]
                """);
    Run r = run("config", "check", config.toString());
    assertEquals(0, r.exit, r.err);
    assertEquals(config + ": OK (4 settings)", r.out.strip());
  }

  @Test
  void checkPrintsOneLinePerProblem() throws IOException {
    Path config =
        write(
            """
                mount:
                  metadata-ttl: soon
                  endpint: http://typo
                  foreground: maybe
                  cred-dir: {a: b}
                mystery: 1
                demo: notamapping
                """);
    Run r = run("config", "check", config.toString());
    assertEquals(Main.EXIT_ERROR, r.exit);
    List<String> lines = r.err.strip().lines().toList();
    assertEquals(6, lines.size(), r.err);
    assertTrue(
        lines.get(0).startsWith(config + ": mount.metadata-ttl: ") && lines.get(0).contains("soon"),
        lines.get(0));
    assertTrue(
        lines.get(1).contains("mount.endpint: unknown flag of `ossfuse mount`; known: ")
            && lines.get(1).contains("endpoint"),
        lines.get(1));
    assertTrue(
        lines.get(2).contains("mount.foreground: 'maybe' is not true or false"), lines.get(2));
    assertTrue(
        lines.get(3).contains("mount.cred-dir: a flag takes a value or a list"), lines.get(3));
    assertTrue(lines.get(4).contains("mystery: unknown command or flag"), lines.get(4));
    assertTrue(lines.get(5).contains("demo: is a command"), lines.get(5));
  }

  @Test
  void checkReportsBrokenYamlInOneLineEvenThoughOtherCommandsRefuseIt() throws IOException {
    Path config = write("mount: [unclosed\n");
    Run check = run("--config", config.toString(), "config", "check");
    assertEquals(Main.EXIT_ERROR, check.exit);
    assertEquals(1, check.err.strip().lines().count(), check.err);
    assertTrue(check.err.contains("cannot be read"), check.err);
    Run other = run("--config", config.toString(), "mount", "oss://b", "/mnt/x");
    assertEquals(Main.EXIT_ERROR, other.exit);
    assertTrue(other.err.startsWith("ossfuse: config " + config + " cannot be read"), other.err);
  }

  @Command(name = "probe")
  static final class Probe implements Runnable {
    @Option(names = "--state", defaultValue = "${env:OSSFUSE_TEST_UNSET_STATE:-/builtin}")
    String state;

    @Override
    public void run() {}
  }

  private Probe probe(Path config, Map<String, String> env) {
    CommandLine cl = Main.commandLine(sink(), sink());
    cl.addSubcommand(new Probe());
    String[] args =
        ConfigDefaults.install(cl, new String[] {"--config", config.toString(), "probe"}, env);
    return (Probe) cl.parseArgs(args).subcommand().commandSpec().userObject();
  }

  private MountCommand parse(Path config, Map<String, String> env, String... args) {
    CommandLine cl = Main.commandLine(sink(), sink());
    String[] all =
        config == null ? args : concat(new String[] {"--config", config.toString()}, args);
    String[] rest = ConfigDefaults.install(cl, all, env);
    return (MountCommand) cl.parseArgs(rest).subcommand().commandSpec().userObject();
  }

  private Object parseAny(Path config, String... args) {
    CommandLine cl = Main.commandLine(sink(), sink());
    String[] rest =
        ConfigDefaults.install(
            cl, concat(new String[] {"--config", config.toString()}, args), Map.of());
    return cl.parseArgs(rest).subcommand().commandSpec().userObject();
  }

  private Path write(String yaml) throws IOException {
    Path f = Files.createTempFile(tmp, "config", ".yaml");
    Files.writeString(f, yaml);
    return f;
  }

  private static String[] concat(String[] a, String[] b) {
    String[] r = new String[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private static PrintWriter sink() {
    return new PrintWriter(new StringWriter());
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(exit, out.toString(), err.toString());
  }
}
