package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.localoss.LocalOssServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ossfuse mount --foreground} as a real process: serves until SIGTERM, then unmounts and
 * exits 0.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ForegroundMountTest {
  @TempDir Path work;

  @Test
  void sigtermUnmountsCleanlyAndExitsZero() throws Exception {
    Path mnt = Files.createDirectories(work.resolve("mnt"));
    Path creds = work.resolve("creds");
    try (LocalOssServer server =
        LocalOssServer.builder().root(work.resolve("oss")).bucket("fgb").build().start()) {
      Files.createDirectories(server.bucketDir("fgb").resolve("dir"));
      Files.writeString(server.bucketDir("fgb").resolve("dir/hello.txt"), "hello over fuse");
      CredFiles.write(creds, server.accessKeyId(), server.accessKeySecret());
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p =
          new ProcessBuilder(
                  java,
                  "-Dfile.encoding=UTF-8",
                  "-cp",
                  System.getProperty("java.class.path"),
                  "io.ossfuse.cli.Main",
                  "mount",
                  "oss://fgb/dir",
                  mnt.toString(),
                  "--endpoint",
                  server.endpoint(),
                  "--cred-dir",
                  creds.toString(),
                  "--foreground")
              .redirectErrorStream(true)
              .start();
      try {
        // destroy() closes the pipes, so a reader thread collects the output meanwhile.
        java.util.concurrent.BlockingQueue<String> lines =
            new java.util.concurrent.LinkedBlockingQueue<>();
        Thread reader =
            new Thread(
                () -> {
                  try (BufferedReader out =
                      new BufferedReader(
                          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    out.lines().forEach(lines::add);
                  } catch (Exception ignored) {
                    // pipe closed
                  }
                });
        reader.start();
        String first = lines.poll(60, TimeUnit.SECONDS);
        assertNotNull(first, "no output within 60 s");
        assertTrue(first.startsWith("ossfuse: mounted oss://fgb/dir at " + mnt), first);
        assertEquals("hello over fuse", Files.readString(mnt.resolve("hello.txt")));
        assertEquals("ossfuse:fgb/dir", MountInfo.find(mnt).orElseThrow().source());
        new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).start().waitFor();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exited after SIGTERM");
        assertEquals(0, p.exitValue());
        reader.join(5000);
        List<String> rest = List.copyOf(lines);
        assertTrue(rest.contains("ossfuse: unmounted"), rest.toString());
        assertFalse(MountInfo.isMounted(mnt), "mount gone");
      } finally {
        if (p.isAlive()) p.destroyForcibly().waitFor();
        if (MountInfo.isMounted(mnt))
          new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).start().waitFor();
      }
    }
  }
}
