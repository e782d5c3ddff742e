package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.localoss.LocalOssServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input through the real command line: one line on stderr, a non-zero exit, nothing mounted.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliErrorsTest {
  @TempDir static Path work;
  static LocalOssServer server;
  static Path creds;
  Path mnt;

  @BeforeAll
  static void start() throws IOException {
    server = LocalOssServer.builder().root(work.resolve("oss")).bucket("errs").build().start();
    Files.writeString(server.bucketDir("errs").resolve("f.txt"), "f");
    creds = work.resolve("creds");
    CredFiles.write(creds, server.accessKeyId(), server.accessKeySecret());
  }

  @AfterAll
  static void stop() {
    if (server != null) server.close();
  }

  @AfterEach
  void noMountLeft() throws Exception {
    if (mnt != null && MountInfo.isMounted(mnt) && MountInfo.find(mnt).get().isFuse()) {
      new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).start().waitFor();
      fail("a mount was left at " + mnt);
    }
  }

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  Path emptyDir() throws IOException {
    mnt = Files.createTempDirectory(work, "mnt");
    return mnt;
  }

  Run mount(String source, Path mountpoint, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "mount",
                source,
                mountpoint.toString(),
                "--endpoint",
                server.endpoint(),
                "--cred-dir",
                creds.toString(),
                "--foreground"));
    a.addAll(List.of(more));
    return run(a.toArray(String[]::new));
  }

  static void assertOneLineError(Run r, String expected) {
    assertNotEquals(0, r.code(), "exit code; stdout: " + r.out());
    String err = r.err().strip();
    assertEquals(1, err.lines().count(), "one line: " + err);
    assertTrue(err.contains(expected), "expected '" + expected + "' in: " + err);
    assertFalse(err.contains("Exception") || err.contains("\tat "), "no stack trace: " + err);
    assertFalse(err.contains(server.accessKeySecret()), "no secret in: " + err);
  }

  @Test
  void missingMountpoint() {
    assertOneLineError(mount("oss://errs", work.resolve("nope")), "does not exist");
  }

  @Test
  void mountpointIsAFile() throws IOException {
    Path f = Files.writeString(work.resolve("file"), "x");
    assertOneLineError(mount("oss://errs", f), "is not a directory");
  }

  @Test
  void nonEmptyMountpoint() throws IOException {
    Path d = emptyDir();
    Files.writeString(d.resolve("x"), "x");
    assertOneLineError(mount("oss://errs", d), "is not empty");
  }

  @Test
  void busyMountpoint() throws Exception {
    Path d = emptyDir();
    assertEquals(
        0,
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "ossfuse-test", d.toString())
            .start()
            .waitFor());
    try {
      assertOneLineError(mount("oss://errs", d), "is busy");
    } finally {
      new ProcessBuilder("umount", d.toString()).start().waitFor();
    }
  }

  @Test
  void unreadableCredentials() throws IOException {
    Path bad = Files.createDirectories(work.resolve("badcreds"));
    Files.writeString(bad.resolve("fs.oss.accessKeyId"), "id");
    assertOneLineError(
        run(
            "mount",
            "oss://errs",
            emptyDir().toString(),
            "--endpoint",
            server.endpoint(),
            "--cred-dir",
            bad.toString(),
            "-f"),
        "fs.oss.accessKeySecret is missing");
    Files.createDirectories(
        bad.resolve("fs.oss.accessKeySecret")); // a directory cannot be read as a file
    assertOneLineError(
        run(
            "mount",
            "oss://errs",
            emptyDir().toString(),
            "--endpoint",
            server.endpoint(),
            "--cred-dir",
            bad.toString(),
            "-f"),
        "cannot read credentials file");
    assertOneLineError(
        run(
            "mount",
            "oss://errs",
            emptyDir().toString(),
            "--endpoint",
            server.endpoint(),
            "--cred-dir",
            work.resolve("no-such-dir").toString(),
            "-f"),
        "does not exist");
  }

  @Test
  void wrongKeys() throws IOException {
    Path wrong = work.resolve("wrongcreds");
    CredFiles.write(wrong, server.accessKeyId(), "not-the-secret");
    Run r =
        run(
            "mount",
            "oss://errs",
            emptyDir().toString(),
            "--endpoint",
            server.endpoint(),
            "--cred-dir",
            wrong.toString(),
            "-f");
    assertOneLineError(r, "access denied");
    assertFalse(r.err().contains("not-the-secret"));
  }

  @Test
  void unknownBucket() throws IOException {
    assertOneLineError(
        mount("oss://no-such-bucket", emptyDir()), "bucket 'no-such-bucket' does not exist");
  }

  @Test
  void malformedUrls() throws IOException {
    for (String bad : List.of("s3://errs", "oss://", "oss://Errs/x", "oss://errs//x", "errs")) {
      assertOneLineError(mount(bad, emptyDir()), "oss://");
    }
  }

  @Test
  void endpointDown() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r =
        run(
            "mount",
            "oss://errs",
            emptyDir().toString(),
            "--endpoint",
            "http://127.0.0.1:" + port,
            "--cred-dir",
            creds.toString(),
            "-f");
    assertOneLineError(r, "cannot reach OSS endpoint http://127.0.0.1:" + port);
  }

  @Test
  void badOptions() throws IOException {
    assertOneLineError(
        mount("oss://errs", emptyDir(), "-o", "uid=abc"), "-o uid needs a decimal number");
    assertOneLineError(mount("oss://errs", emptyDir(), "-o", "rw"), "unknown mount option -o rw");
    assertOneLineError(mount("oss://errs", emptyDir(), "-o", "umask=999"), "umask");
    assertOneLineError(
        run("mount", "oss://errs", emptyDir().toString(), "--cred-dir", creds.toString(), "-f"),
        "missing endpoint");
    Run usage = run("mount", "oss://errs");
    assertEquals(Main.EXIT_USAGE, usage.code());
    assertOneLineError(usage, "Missing required parameter");
  }

  @Test
  void withoutForegroundTheDaemonIsNeeded() throws IOException {
    Path dir = emptyDir();
    Run r =
        run(
            "mount",
            "oss://errs",
            dir.toString(),
            "--endpoint",
            server.endpoint(),
            "--cred-dir",
            creds.toString(),
            "--socket",
            dir + "/no-daemon.sock");
    assertOneLineError(r, "cannot reach the ossfuse daemon at " + dir + "/no-daemon.sock");
    assertTrue(r.err().contains("use --foreground"));
  }

  @Test
  void everyCommandHasHelp() {
    for (String[] a :
        List.of(
            new String[] {"--help"},
            new String[] {"mount", "--help"},
            new String[] {"demo", "--help"},
            new String[] {"local-oss", "--help"})) {
      Run r = run(a);
      assertEquals(0, r.code(), String.join(" ", a));
      assertTrue(r.out().contains("Usage:"), r.out());
    }
    assertTrue(run("--help").out().contains("mount"));
    assertTrue(run("mount", "--help").out().contains("--cred-dir"));
  }

  @Test
  void localOssRemoteProfileOptionsAreListedAndCheckedInOneLine() throws IOException {
    String help = run("local-oss", "--help").out();
    assertTrue(help.contains("--bandwidth") && help.contains("--first-byte-latency"), help);
    Path dir = Files.createTempDirectory(work, "oss");
    assertOneLineError(
        run("local-oss", "--dir", dir.toString(), "--bucket", "b1", "--bandwidth", "fast"),
        "bandwidth 'fast' is not a rate");
    assertOneLineError(
        run("local-oss", "--dir", dir.toString(), "--bucket", "b1", "--first-byte-latency", "5"),
        "latency '5' is not a duration");
  }
}
