package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ossfuse.recovery.ControlClient;
import io.ossfuse.recovery.ControlRequest;
import io.ossfuse.recovery.Daemon;
import io.ossfuse.recovery.DaemonConfig;
import io.ossfuse.recovery.MountSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The CLI commands against an in-process daemon serving a real bindfs mount. */
class DaemonCommandsTest {
  private Path base;
  private Daemon daemon;
  private Path socket;
  private String mp;
  private final List<Long> pids = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    base = Files.createTempDirectory(Path.of("/tmp"), "wdcli");
    Files.createDirectories(base.resolve("src/sub"));
    Files.createDirectories(base.resolve("pods"));
    Files.writeString(base.resolve("src/sub/a.txt"), "A");
    socket = base.resolve("run/d.sock");
    daemon =
        Daemon.start(
            DaemonConfig.builder()
                .socket(socket)
                .stateFile(base.resolve("state/state.json"))
                .allowedRoot(base.resolve("pods"))
                .logDir(base.resolve("logs"))
                .build());
    mp = base.resolve("mnt").toString();
    var r =
        new ControlClient(socket)
            .send(
                ControlRequest.mount(
                    new MountSpec(
                        base.resolve("src").toString(), mp, null, MountSpec.DRIVER_BINDFS, null)));
    assertTrue(r.ok(), r.error());
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      new ControlClient(socket).send(ControlRequest.umount(mp, true));
    } finally {
      daemon.close();
      for (long pid : pids) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      for (String m : List.of(base + "/pods/p/vol", mp)) {
        new ProcessBuilder("umount", "-l", m)
            .redirectErrorStream(true)
            .start()
            .waitFor(5, TimeUnit.SECONDS);
      }
      try (Stream<Path> w = Files.walk(base)) {
        w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private record Run(int code, String out, String err) {}

  private Run run(Object command, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 2];
    all[0] = "--socket";
    all[1] = socket.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    int code = cl.execute(all);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void bindStatusUnbindUmountThroughTheCli() throws Exception {
    String target = base + "/pods/p/vol";
    Run b = run(new BindCommand(), mp + "/sub", target);
    assertEquals(0, b.code(), b.err());
    assertEquals("A", Files.readString(Path.of(target, "a.txt")));

    Run json = run(new StatusCommand(), "--json");
    assertEquals(0, json.code(), json.err());
    JsonNode m = new ObjectMapper().readTree(json.out()).get(0);
    assertEquals(mp, m.get("mountpoint").asText());
    assertEquals("HEALTHY", m.get("state").asText());
    assertEquals(target, m.get("targets").get(0).get("target").asText());
    assertEquals("sub", m.get("targets").get(0).get("subPath").asText());
    assertTrue(m.get("targets").get(0).get("healthy").asBoolean());
    pids.add(m.get("childPid").asLong());

    Run table = run(new StatusCommand());
    assertTrue(table.out().startsWith("MOUNTPOINT"), table.out());
    assertTrue(
        table.out().contains("HEALTHY")
            && table.out().contains("-> " + target + "  (subPath sub)  healthy"),
        table.out());

    Run refused = run(new UmountCommand(), mp);
    assertEquals(1, refused.code());
    assertEquals(1, refused.err().strip().lines().count(), "one line: " + refused.err());
    assertTrue(
        refused.err().startsWith("ossfuse: " + mp + " still has 1 bound target"), refused.err());

    assertEquals(0, run(new UnbindCommand(), target).code());
    Run u = run(new UmountCommand(), mp);
    assertEquals(0, u.code(), u.err());
    assertEquals("no mounts\n", run(new StatusCommand()).out());
  }

  @Test
  void mountRegistersWithTheDaemonAndServesOss() throws Exception {
    try (io.ossfuse.localoss.LocalOssServer oss =
        io.ossfuse.localoss.LocalOssServer.builder()
            .root(base.resolve("oss"))
            .bucket("bkt")
            .build()
            .start()) {
      Files.createDirectories(oss.bucketDir("bkt").resolve("ds"));
      Files.writeString(oss.bucketDir("bkt").resolve("ds/x.txt"), "from oss");
      CredFiles.write(base.resolve("creds"), oss.accessKeyId(), oss.accessKeySecret());
      String omp = base.resolve("omnt").toString();
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      // jnr here: a raw mount would hand /dev/fuse to children through this JVM's stdin (surefire's
      // channel).
      int code =
          Main.run(
              new String[] {
                "mount",
                "oss://bkt/ds",
                omp,
                "--endpoint",
                oss.endpoint(),
                "--cred-dir",
                base.resolve("creds").toString(),
                "--transport",
                "jnr",
                "--socket",
                socket.toString()
              },
              new PrintWriter(out, true),
              new PrintWriter(err, true));
      try {
        assertEquals(0, code, err.toString());
        assertTrue(
            out.toString().startsWith("ossfuse: mounted oss://bkt/ds on " + omp), out.toString());
        assertEquals("from oss", Files.readString(Path.of(omp, "x.txt")));
        JsonNode m = null;
        for (JsonNode n : new ObjectMapper().readTree(run(new StatusCommand(), "--json").out())) {
          if (n.get("mountpoint").asText().equals(omp)) m = n;
        }
        assertEquals("jnr", m.get("transport").asText());
        assertEquals("HEALTHY", m.get("state").asText());
        pids.add(m.get("childPid").asLong());
        assertTrue(
            !new ObjectMapper()
                .readTree(run(new StatusCommand(), "--json").out())
                .toString()
                .contains(oss.accessKeySecret()),
            "no secret in status");
      } finally {
        new ControlClient(socket).send(ControlRequest.umount(omp, true));
        new ProcessBuilder("umount", "-l", omp)
            .redirectErrorStream(true)
            .start()
            .waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aMountThatCannotStartIsOneLineWithTheChildsReason() throws Exception {
    try (io.ossfuse.localoss.LocalOssServer oss =
        io.ossfuse.localoss.LocalOssServer.builder()
            .root(base.resolve("oss"))
            .bucket("bkt")
            .build()
            .start()) {
      CredFiles.write(base.resolve("creds"), oss.accessKeyId(), oss.accessKeySecret());
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code =
          Main.run(
              new String[] {
                "mount",
                "oss://nosuchbucket/ds",
                base + "/bad",
                "--endpoint",
                oss.endpoint(),
                "--cred-dir",
                base.resolve("creds").toString(),
                "--transport",
                "jnr",
                "--socket",
                socket.toString()
              },
              new PrintWriter(out, true),
              new PrintWriter(err, true));
      assertEquals(1, code);
      String e = err.toString().strip();
      assertEquals(1, e.lines().count(), e);
      assertTrue(
          e.contains("mount of oss://nosuchbucket/ds on " + base + "/bad failed: child ")
              && e.contains("exit 2")
              && e.contains("bucket 'nosuchbucket' does not exist"),
          e);
      assertTrue(
          new ObjectMapper()
                  .readTree(run(new StatusCommand(), "--json").out())
                  .toString()
                  .indexOf(base + "/bad")
              < 0,
          "a mount that never came up is not kept");
    }
  }

  @Test
  void errorsAreOneLine() {
    Run outside = run(new BindCommand(), mp, "/etc/x");
    assertEquals(1, outside.code());
    assertTrue(
        outside.err().strip().matches("ossfuse: bind target /etc/x is outside the allowed root .*"),
        outside.err());
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new StatusCommand());
    cl.setErr(new PrintWriter(err, true));
    assertEquals(1, cl.execute("--socket", base + "/nowhere.sock"));
    assertTrue(
        err.toString()
            .startsWith("ossfuse: cannot reach the ossfuse daemon at " + base + "/nowhere.sock"),
        err.toString());
    assertEquals(1, err.toString().strip().lines().count());
  }
}
