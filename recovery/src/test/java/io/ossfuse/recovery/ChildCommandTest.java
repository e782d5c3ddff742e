package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ChildCommandTest {
  @Test
  void javaChildGetsItsHeapOomExitAndUtf8() {
    MountSpec spec =
        new MountSpec(
            "oss://b/d",
            "/mnt/x",
            "raw",
            MountSpec.DRIVER_OSSFUSE,
            new ObjectMapper().createObjectNode());
    ChildCommand java = ChildCommand.java("/jdk/bin/java", "/lib/*", "768m");
    List<String> cmd = java.command(spec, Path.of("/run/s.json"));
    assertEquals(
        List.of(
            "/jdk/bin/java",
            "-Xmx768m",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:TieredStopAtLevel=1",
            "-Dfile.encoding=UTF-8",
            "-Dsun.jnu.encoding=UTF-8",
            "-cp",
            "/lib/*",
            FuseChildMain.class.getName(),
            "--spec",
            "/run/s.json"),
        cmd);
    assertEquals(Map.of("LC_ALL", "C.UTF-8"), java.environment());
    assertEquals(Map.of(), ChildCommand.bindfs().environment());
  }

  @Test
  void theDaemonsReadTimeoutReachesEachJavaChild() {
    ChildCommand child =
        ChildCommand.java("/jdk/bin/java", "/lib/*", "768m", java.time.Duration.ofMillis(7500));
    assertEquals(
        Map.of("LC_ALL", "C.UTF-8", "OSSFUSE_READ_TIMEOUT", "7500ms"), child.environment());
    assertEquals(Map.of("LC_ALL", "C.UTF-8"), ChildCommand.java("j", "", "1m", null).environment());
  }

  /**
   * Flags and environment really take effect on this JDK when the daemon runs under a C locale
   * (systemd's default).
   */
  @Test
  void utf8FileNamesUnderTheCLocale() throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.addAll(ChildCommand.CHILD_JVM_OPTIONS);
    cmd.addAll(List.of("-XshowSettings:properties", "-version"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG"));
    pb.environment().put("LANG", "C");
    pb.environment().putAll(ChildCommand.java("java", "", "64m").environment());
    Process p = pb.start();
    String out;
    try {
      out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "java -version finished");
    } finally {
      p.destroyForcibly();
    }
    assertTrue(out.contains("sun.jnu.encoding = UTF-8"), out);
    assertTrue(out.contains("file.encoding = UTF-8"), out);
  }
}
