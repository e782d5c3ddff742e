package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.mount.MountOptions;
import io.ossfuse.oss.SignatureVersion;
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

/** The YAML config file: loading, precedence (flag > environment > config > default) and 'config check'. */
class ConfigFileTest {
  @TempDir Path tmp;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  Path write(String name, String yaml) throws Exception {
    Path f = tmp.resolve(name);
    Files.writeString(f, yaml);
    return f;
  }

  /** A command line as Main builds it, with the config of {@code args} installed; null if install stopped. */
  CommandLine commandLine(String[] args, Map<String, String> env) {
    CommandLine cl = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
    if (!cl.getSubcommands().containsKey("config")) {
      cl.addSubcommand(new ConfigCommand());
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(err, true));
    }
    Integer stop = ConfigSupport.install(cl, args, env, tmp.resolve("no-default.yaml"), new PrintWriter(err, true));
    return stop == null ? cl : null;
  }

  MountOptions mountOptions(String... args) {
    CommandLine cl = commandLine(args, Map.of());
    assertTrue(cl != null, "config refused: " + err);
    CommandLine.ParseResult r = cl.parseArgs(args);
    return ((MountCommand) r.subcommand().commandSpec().userObject()).mountOptions();
  }

  int run(Map<String, String> env, String... args) {
    CommandLine cl = commandLine(args, env);
    return cl == null ? Main.EXIT_USAGE : cl.execute(args);
  }

  @Test
  void flagBeatsConfigBeatsBuiltInDefault() throws Exception {
    Path cfg = write("c.yaml", """
        mount:
          endpoint: http://127.0.0.1:9/from-config
          metadata-ttl: 90
          signature-version: V4
          region: cn-hangzhou
          o: [uid=1000, gid=1001, allow_other]
        """);
    Path mp = Files.createDirectory(tmp.resolve("mp"));
    MountOptions o = mountOptions("--config", cfg.toString(), "mount", "oss://bkt/dir", mp.toString(),
        "--endpoint", "http://127.0.0.1:9/from-flag");
    assertEquals("http://127.0.0.1:9/from-flag", o.endpoint()); // flag
    assertEquals(90_000, o.metadataTtlMillis());                 // config
    assertEquals(SignatureVersion.V4, o.signatureVersion());     // config (enum)
    assertEquals(1000, o.uid());                                 // config list, joined on the option's split
    assertEquals(1001, o.gid());
    assertTrue(o.allowOther());
    assertEquals(5_000, o.negativeTtlMillis());                  // built-in default
    // the option may also come after the subcommand
    MountOptions o2 = mountOptions("mount", "oss://bkt/dir", mp.toString(), "--config=" + cfg);
    assertEquals("http://127.0.0.1:9/from-config", o2.endpoint());
  }

  @Test
  void topLevelKeysApplyToEveryCommandAndSectionsWin() throws Exception {
    Path cfg = write("c.yaml", """
        metadata-ttl: 7
        negative-ttl: 3
        mount:
          metadata-ttl: 8
        """);
    Path mp = Files.createDirectory(tmp.resolve("mp"));
    MountOptions o = mountOptions("--config", cfg.toString(), "mount", "oss://bkt", mp.toString(), "--endpoint", "x");
    assertEquals(8_000, o.metadataTtlMillis());
    assertEquals(3_000, o.negativeTtlMillis());
  }

  @Command(name = "t")
  static final class EnvCommand {
    @Option(names = "--sock", defaultValue = "${env:OSSFUSE_TEST_SOCK_UNSET:-/built-in}")
    String sock;

    @Option(names = "--plain", defaultValue = "built-in")
    String plain;
  }

  @Test
  void anOptionsEnvironmentVariableBeatsTheConfig() throws Exception {
    CommandLine cl = new CommandLine(new CommandLine(new EnvCommand()).getCommandSpec().name("ossfuse"));
    cl.addSubcommand("t", new EnvCommand());
    ConfigFile cfg = ConfigFile.load(write("c.yaml", "t: {sock: /from-config, plain: from-config}\n"));
    CommandLine.Model.OptionSpec sock = cl.getSubcommands().get("t").getCommandSpec().findOption("--sock");
    CommandLine.Model.OptionSpec plain = cl.getSubcommands().get("t").getCommandSpec().findOption("--plain");
    assertEquals("OSSFUSE_TEST_SOCK_UNSET", ConfigDefaults.envVariable(sock));
    assertEquals("/from-config", new ConfigDefaults(cfg, Map.of()).defaultValue(sock));
    assertNull(new ConfigDefaults(cfg, Map.of("OSSFUSE_TEST_SOCK_UNSET", "/from-env")).defaultValue(sock));
    assertEquals("from-config", new ConfigDefaults(cfg, Map.of("OSSFUSE_TEST_SOCK_UNSET", "/e")).defaultValue(plain));
  }

  @Test
  void checkPrintsOneLinePerProblemAndExitsNonZero() throws Exception {
    Path badTier = write("tier.yaml", """
        tieredstore:
          levels:
            - mediumtype: MEM
              path: /dev/shm/x
              quota: 1Gi
              high: "0.5"
              low: "0.9"
        """);
    Path cfg = write("bad.yaml", """
        mout:
          endpoint: x
        mount:
          cred-dirr: /etc/oss-secret
          metadata-ttl: soon
          signature-version: V3
          tieredstore: %s
          endpoint: [a, b]
        colour: blue
        """.formatted(badTier));
    int rc = run(Map.of(), "config", "check", cfg.toString());
    assertEquals(1, rc);
    List<String> lines = err.toString().lines().toList();
    assertEquals(7, lines.size(), err.toString());
    for (String l : lines) assertTrue(l.startsWith(cfg + ": "), l);
    String all = err.toString();
    assertTrue(all.contains(": mout: unknown key: neither a command section nor an option: did you mean 'mount'?"), all);
    assertTrue(all.contains(": mount.cred-dirr: unknown option of 'mount': did you mean 'cred-dir'?"), all);
    assertTrue(all.contains(": mount.metadata-ttl: must be a number, got 'soon'"), all);
    assertTrue(all.contains(": mount.signature-version: must be one of V1, V4, got 'V3'"), all);
    assertTrue(all.contains(": mount.tieredstore: " + badTier + ": "), all);
    assertTrue(all.contains(": mount.endpoint: takes one value, not a list"), all);
    assertTrue(all.contains(": colour: unknown key: neither a command section nor an option"), all);
    assertEquals("", out.toString());
  }

  @Test
  void checkOfAGoodFileSaysOk() throws Exception {
    Path cfg = write("good.yaml", "mount:\n  endpoint: https://oss-cn-hangzhou.aliyuncs.com\n  negative-ttl: 2.5\n");
    assertEquals(0, run(Map.of(), "config", "check", cfg.toString()));
    assertEquals(cfg + ": OK\n", out.toString());
    // from $OSSFUSE_CONFIG when no FILE is given
    out.getBuffer().setLength(0);
    assertEquals(0, run(Map.of(ConfigSupport.ENV, cfg.toString()), "config", "check", "--config", cfg.toString()));
    assertEquals(cfg + ": OK\n", out.toString());
  }

  @Test
  void aConfigWithProblemsStopsOtherCommandsWithOneLineEach() throws Exception {
    Path cfg = write("bad.yaml", "mount:\n  endpont: x\n");
    assertEquals(Main.EXIT_USAGE, run(Map.of(), "--config", cfg.toString(), "mount", "oss://b", tmp.toString()));
    List<String> lines = err.toString().lines().toList();
    assertEquals(2, lines.size(), err.toString());
    assertEquals("ossfuse: " + cfg + ": mount.endpont: unknown option of 'mount': did you mean 'endpoint'?", lines.get(0));
    assertTrue(lines.get(1).startsWith("ossfuse: fix " + cfg), lines.get(1));
  }

  @Test
  void unreadableOrMissingFilesAreOneLine() throws Exception {
    assertEquals(Main.EXIT_USAGE, run(Map.of(), "--config", tmp.resolve("nope.yaml").toString(), "mount", "--help"));
    assertEquals("ossfuse: config file " + tmp.resolve("nope.yaml")
        + " does not exist: create it or give another with --config FILE\n", err.toString());
    err.getBuffer().setLength(0);
    Path bad = write("bad.yaml", "mount: [unclosed\n");
    assertEquals(Main.EXIT_USAGE, run(Map.of(), "--config", bad.toString(), "mount", "--help"));
    assertEquals(1, err.toString().lines().count(), err.toString());
    assertTrue(err.toString().startsWith("ossfuse: config file " + bad + " is not valid YAML: "), err.toString());
    err.getBuffer().setLength(0);
    assertEquals(1, run(Map.of(), "config", "check", bad.toString()));
    assertEquals(1, err.toString().lines().count(), err.toString());
  }

  @Test
  void didYouMeanOnlySuggestsCloseNames() {
    assertEquals(": did you mean 'cred-dir'?", ConfigCheck.didYouMean("creddir", List.of("endpoint", "cred-dir")));
    assertEquals("", ConfigCheck.didYouMean("colour", List.of("endpoint", "cred-dir")));
  }
}
