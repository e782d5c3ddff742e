package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ossfuse.localoss.LocalOssServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The whole observability path for real: a daemon JVM ({@code ossfuse --config F daemon}, with
 * {@code metrics-addr: 127.0.0.1:0} in F), a FUSE child JVM serving a LocalOssServer bucket through
 * the aliyun SDK with a tiered cache, reads through the kernel, a SIGKILL of the child; then {@code
 * /metrics} over HTTP and {@code ossfuse status} show the mount's health, FUSE/OSS/cache numbers
 * and its recovery. Credentials appear nowhere.
 */
class MetricsEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(40);
  private Path base;
  private LocalOssServer oss;
  private Process daemon;
  private Path creds;
  private Path config;
  private Path tier;
  private String mp;
  private final Set<Long> pids = new HashSet<>();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void setUp() throws Exception {
    base = Files.createTempDirectory(Path.of("/tmp"), "metrics-e2e");
    oss = LocalOssServer.builder().root(base.resolve("oss")).bucket("bkt").build().start();
    Path data = Files.createDirectories(oss.bucketDir("bkt").resolve("data"));
    Files.writeString(data.resolve("hello.txt"), "hello metrics\n");
    byte[] big = new byte[3 << 20];
    new Random(7).nextBytes(big);
    Files.write(data.resolve("big.bin"), big);
    creds = Files.createDirectories(base.resolve("creds"));
    Files.writeString(creds.resolve("fs.oss.accessKeyId"), oss.accessKeyId());
    Files.writeString(creds.resolve("fs.oss.accessKeySecret"), oss.accessKeySecret());
    tier = base.resolve("tier.yaml");
    Files.writeString(
        tier,
        """
        tieredstore:
          levels:
            - mediumtype: MEM
              path: %s
              quota: 64Mi
              high: "0.95"
              low: "0.7"
        """
            .formatted(base.resolve("cache")));
    mp = base.resolve("mnt").toString();
    Files.createDirectories(base.resolve("pods"));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (daemon != null) {
        pids.add(daemon.pid());
        try {
          JsonNode st = json.readTree(base.resolve("state/state.json").toFile());
          st.path("mounts")
              .forEach(
                  m -> {
                    if (m.hasNonNull("childPid")) pids.add(m.get("childPid").asLong());
                    if (m.hasNonNull("standbyPid")) pids.add(m.get("standbyPid").asLong());
                  });
        } catch (IOException ignored) {
          // pids seen in status are tracked too
        }
      }
      Path log = base.resolve("daemon.log");
      if (Files.exists(log)) { // every child and standby the daemon started
        Matcher m =
            Pattern.compile("(?:started child|standby child) (\\d+)")
                .matcher(Files.readString(log));
        while (m.find()) pids.add(Long.parseLong(m.group(1)));
      }
      for (long pid : pids) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      for (long pid : pids) {
        ProcessHandle.of(pid)
            .ifPresent(h -> h.onExit().completeOnTimeout(null, 5, TimeUnit.SECONDS).join());
      }
      List<String> under = new ArrayList<>();
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String m = line.split(" ")[4];
        if (m.startsWith(base.toString())) under.add(m);
      }
      under.sort(Comparator.comparingInt(String::length).reversed());
      for (String m : under)
        new ProcessBuilder("umount", "-l", m)
            .redirectErrorStream(true)
            .start()
            .waitFor(5, TimeUnit.SECONDS);
    } finally {
      if (oss != null) oss.close();
      try (Stream<Path> w = Files.walk(base)) {
        w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private record Run(int code, String out, String err) {}

  private Path socket() {
    return base.resolve("run/d.sock");
  }

  private Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  /** The daemon takes its settings from a config file (flags still win: --probe-timeout). */
  private String startDaemon() throws Exception {
    config = base.resolve("config.yaml");
    Files.writeString(
        config,
        """
        socket: %s
        daemon:
          state: %s
          allowed-root: %s
          log-dir: %s
          metrics-addr: 127.0.0.1:0
          child-heap: 256m
          probe-interval: 300ms
          probe-timeout: 9s
        """
            .formatted(
                socket(),
                base.resolve("state/state.json"),
                base.resolve("pods"),
                base.resolve("logs")));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path log = base.resolve("daemon.log");
    daemon =
        new ProcessBuilder(
                java,
                "-Xmx128m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "--config",
                config.toString(),
                "daemon",
                "--probe-timeout",
                "2s")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    pids.add(daemon.pid());
    Pattern url = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+/metrics)");
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      String text = Files.exists(log) ? Files.readString(log) : "";
      Matcher m = url.matcher(text);
      if (m.find() && Files.exists(base.resolve("run/d.sock"))) return m.group(1);
      if (!daemon.isAlive()) throw new AssertionError("daemon exited: " + text);
      Thread.sleep(50);
    }
    throw new AssertionError("daemon did not serve metrics: " + Files.readString(log));
  }

  private String childLogs() throws IOException {
    StringBuilder b = new StringBuilder();
    Path logs = base.resolve("logs");
    if (Files.isDirectory(logs)) {
      try (Stream<Path> l = Files.list(logs)) {
        for (Path f : l.toList())
          b.append("\n--- ").append(f.getFileName()).append('\n').append(Files.readString(f));
      }
    }
    return b.toString();
  }

  private static String scrape(String url) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  /** The value of the sample line {@code name{labels}}; -1 if absent. */
  private static double value(String text, String sample) {
    for (String line : text.split("\n")) {
      if (line.startsWith(sample + " "))
        return Double.parseDouble(line.substring(sample.length() + 1).strip());
    }
    return -1;
  }

  /**
   * The new child's counters show the read of hello.txt after the takeover: a read, or only its
   * open when the kernel reads the file from the cache by itself (FUSE passthrough).
   */
  private static boolean servedByTheNewChild(String scrape, String mp) {
    double ops = 0;
    for (String op : List.of("read", "open", "open_passthrough")) {
      ops +=
          Math.max(
              0, value(scrape, "ossfuse_fuse_ops_total{mount=\"" + mp + "\",op=\"" + op + "\"}"));
    }
    return ops > 0;
  }

  /** `ossfuse mount` of oss://bkt/data at the test's mountpoint through the daemon. */
  private Run mountThroughTheDaemon(String... more) throws Exception {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "mount",
                "oss://bkt/data",
                mp,
                "--socket",
                socket().toString(),
                "--endpoint",
                oss.endpoint(),
                "--cred-dir",
                creds.toString()));
    args.addAll(List.of(more));
    return cli(args.toArray(String[]::new));
  }

  private String awaitScrape(String url, Predicate<String> cond) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    String t = "";
    while (System.nanoTime() < deadline) {
      t = scrape(url);
      if (cond.test(t)) return t;
      Thread.sleep(200);
    }
    throw new AssertionError("metrics never matched; last scrape:\n" + t);
  }

  private JsonNode statusJson() throws Exception {
    Run r = cli("status", "--json", "--socket", socket().toString());
    assertEquals(0, r.code(), r.err());
    JsonNode m = json.readTree(r.out()).get(0);
    if (m.hasNonNull("childPid")) pids.add(m.get("childPid").asLong());
    if (m.hasNonNull("standbyPid")) pids.add(m.get("standbyPid").asLong());
    return m;
  }

  private JsonNode awaitStatus(Predicate<JsonNode> cond) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode s = null;
    while (System.nanoTime() < deadline) {
      s = statusJson();
      if (cond.test(s)) return s;
      Thread.sleep(100);
    }
    throw new AssertionError("status never matched: " + s);
  }

  @Test
  void theDefaultCacheShowsItsCountersWithoutLevels() throws Exception {
    String url = startDaemon();
    Run m = mountThroughTheDaemon();
    assertEquals(0, m.code(), m.err() + m.out() + childLogs());
    awaitStatus(s -> "HEALTHY".equals(s.path("state").asText()));
    byte[] big = Files.readAllBytes(oss.bucketDir("bkt").resolve("data/big.bin"));
    assertArrayEquals(big, Files.readAllBytes(Path.of(mp, "big.bin")));
    String q = "{mount=\"" + mp + "\"}";
    String t =
        awaitScrape(
            url,
            x ->
                value(x, "ossfuse_cache_misses_total" + q) > 0
                    && value(x, "ossfuse_cache_loaded_bytes_total" + q) >= big.length);
    assertFalse(t.contains("ossfuse_cache_level_"), t);
    Run table = cli("status", "--socket", socket().toString());
    assertTrue(table.out().contains("cache: default in-memory, hit ratio "), table.out());
  }

  @Test
  void metricsAndStatusShowALiveMountItsCacheAndItsRecovery() throws Exception {
    String url = startDaemon();
    Run m = mountThroughTheDaemon("--tieredstore", tier.toString());
    assertEquals(0, m.code(), m.err() + m.out() + childLogs());
    long pid1 =
        awaitStatus(s -> "HEALTHY".equals(s.path("state").asText())).get("childPid").asLong();

    byte[] big = Files.readAllBytes(oss.bucketDir("bkt").resolve("data/big.bin"));
    assertArrayEquals(big, Files.readAllBytes(Path.of(mp, "big.bin")));
    assertEquals("hello metrics\n", Files.readString(Path.of(mp, "hello.txt")));
    String q = "{mount=\"" + mp + "\"}";
    String t =
        awaitScrape(
            url,
            x ->
                value(x, "ossfuse_oss_received_bytes_total{mount=\"" + mp + "\",op=\"get\"}")
                        >= big.length
                    && value(x, "ossfuse_cache_misses_total" + q) > 0
                    // a snapshot taken after the reads (it may come from the middle of them
                    // otherwise)
                    && value(
                            x,
                            "ossfuse_fuse_op_duration_seconds_count{mount=\""
                                + mp
                                + "\",op=\"read\"}")
                        > 0);
    assertEquals(1.0, value(t, "ossfuse_daemon_mounts"));
    assertEquals(
        1.0,
        value(t, "ossfuse_mount_state{mount=\"" + mp + "\",ossfuse_mount_state=\"HEALTHY\"}"),
        t);
    assertEquals(1.0, value(t, "ossfuse_mount_healthy" + q));
    assertEquals(0.0, value(t, "ossfuse_mount_restarts_total" + q));
    assertTrue(
        t.contains(
            "ossfuse_mount_info{driver=\"ossfuse\",mount=\""
                + mp
                + "\",source=\"oss://bkt/data\",transport=\""),
        t);
    assertTrue(value(t, "ossfuse_fuse_ops_total{mount=\"" + mp + "\",op=\"read\"}") > 0, t);
    assertTrue(
        value(t, "ossfuse_fuse_op_duration_seconds_count{mount=\"" + mp + "\",op=\"read\"}") > 0,
        t);
    assertTrue(value(t, "ossfuse_fuse_ops_total{mount=\"" + mp + "\",op=\"lookup\"}") >= 2, t);
    assertEquals(0.0, value(t, "ossfuse_oss_errors_total{mount=\"" + mp + "\",op=\"get\"}"), t);
    assertEquals(
        64.0 * 1024 * 1024,
        value(
            t, "ossfuse_cache_level_quota_bytes{level=\"0\",medium=\"MEM\",mount=\"" + mp + "\"}"),
        t);
    assertEquals(
        0.95,
        value(
            t,
            "ossfuse_cache_level_high_watermark_ratio{level=\"0\",medium=\"MEM\",mount=\""
                + mp
                + "\"}"),
        t);
    assertTrue(
        value(t, "ossfuse_cache_level_used_bytes{level=\"0\",medium=\"MEM\",mount=\"" + mp + "\"}")
            >= big.length,
        t);
    assertEquals(0.0, value(t, "ossfuse_recovery_duration_seconds_count" + q), t);

    // a second read of the same data is served by the cache (the kernel page cache is dropped
    // first):
    // by the child from its blocks, or, once the object is cached whole, by the kernel from the
    // cache's file (FUSE passthrough, on by default), which the metrics count as a passthrough open
    double hits = value(t, "ossfuse_cache_hits_total" + q);
    String ptOpens = "ossfuse_fuse_ops_total{mount=\"" + mp + "\",op=\"open_passthrough\"}";
    double passthroughOpens = Math.max(0, value(t, ptOpens));
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "1");
    assertArrayEquals(big, Files.readAllBytes(Path.of(mp, "big.bin")));
    awaitScrape(
        url,
        x ->
            value(x, "ossfuse_cache_hits_total" + q) > hits
                || value(x, ptOpens) > passthroughOpens);

    // SIGKILL the child: the daemon recovers it, and both views say so
    ProcessHandle.of(pid1).orElseThrow().destroyForcibly();
    JsonNode s =
        awaitStatus(
            x ->
                "HEALTHY".equals(x.path("state").asText())
                    && x.path("childPid").asLong() != pid1
                    && x.path("stats").path("recoveries").size() == 1);
    assertEquals("hello metrics\n", Files.readString(Path.of(mp, "hello.txt")));
    // the new child opens its filesystem (and cache) when it takes the connection over
    s =
        awaitStatus(
            x ->
                "HEALTHY".equals(x.path("state").asText())
                    && x.path("stats").path("dataPath").has("cache"));
    assertNotEquals(pid1, s.get("childPid").asLong());
    t =
        awaitScrape(
            url,
            x ->
                value(x, "ossfuse_recovery_duration_seconds_count" + q) == 1.0
                    && servedByTheNewChild(x, mp));
    assertEquals(1.0, value(t, "ossfuse_mount_restarts_total" + q), t);
    assertTrue(value(t, "ossfuse_recovery_duration_seconds_sum" + q) > 0, t);
    assertTrue(value(t, "ossfuse_stats_age_seconds" + q) < 10, t);

    JsonNode rec = s.path("stats").path("recoveries");
    assertEquals(1, rec.size(), s.toString());
    assertTrue(rec.get(0).get("cause").asText().contains("SIGKILL"), s.toString());
    assertTrue(
        s.path("stats").path("dataPath").path("cache").path("quotaBytes").asLong() == 64L << 20,
        s.toString());

    Run table = cli("status", "--socket", socket().toString());
    assertEquals(0, table.code(), table.err());
    assertTrue(
        table.out().contains("    cache ")
            && table.out().contains("of 64.0 MiB")
            && table.out().contains("hit ratio"),
        table.out());
    assertTrue(
        table.out().contains("    recoveries: ") && table.out().contains("SIGKILL"), table.out());

    System.out.print("ossfuse status:\n" + table.out());
    String log = Files.readString(base.resolve("daemon.log"));
    assertTrue(log.contains("recovery-event mount=" + mp + " duration_ms="), log);
    for (String text : List.of(t, table.out(), statusJson().toString(), log)) {
      assertFalse(text.contains(oss.accessKeyId()), "access key id leaked");
      assertFalse(text.contains(oss.accessKeySecret()), "secret leaked");
    }
  }
}
