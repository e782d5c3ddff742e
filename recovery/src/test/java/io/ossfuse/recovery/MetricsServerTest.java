package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.cache.CacheStats;
import io.ossfuse.cache.LevelStats;
import io.ossfuse.cache.MediumType;
import io.ossfuse.fs.Errno;
import io.ossfuse.stats.MountMetrics;
import io.ossfuse.stats.SnapshotFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The endpoint over real HTTP, fed by a stats file as a child writes it (this JVM plays the child).
 */
class MetricsServerTest {
  @TempDir Path tmp;

  static String scrape(String url) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  @Test
  void servesMountHealthRecoveriesAndTheChildsDataPath() throws Exception {
    long me = ProcessHandle.current().pid();
    MountMetrics m = new MountMetrics(System::currentTimeMillis);
    m.fuseOp("read", 3_000_000, null);
    m.fuseBytes("read", 4096);
    m.fuseOp("lookup", 20_000, Errno.ENOENT);
    m.oss("get", 1 << 20, false);
    m.oss("list", 0, true);
    m.cache(
        () ->
            new CacheStats(
                List.of(
                    new LevelStats(
                        MediumType.MEM, List.of(tmp), 4096, 1 << 20, 0.95, 0.7, 1, 7, 2)),
                7,
                3,
                0,
                2,
                1,
                0,
                12288,
                0,
                0,
                0));
    Path stats = tmp.resolve("m.stats.json");
    SnapshotFiles.write(stats, m.snapshot());
    RecoveryHistory h = new RecoveryHistory(System::currentTimeMillis);
    h.recovered("/mnt/a", "child 42: SIGKILL", 300);
    h.recovered("/mnt/a", "child 43: SIGKILL", 1_500);
    List<MountView> views =
        new CopyOnWriteArrayList<>(
            List.of(
                new MountView(
                    "/mnt/a", "oss://bkt/dir", "jnr", "ossfuse", "HEALTHY", me, 65_000, 2, stats),
                // a dead child's stats file must not show as live numbers
                new MountView(
                    "/mnt/b",
                    "oss://bkt/other",
                    "raw",
                    "ossfuse",
                    "RECOVERING",
                    999_999_999L,
                    0,
                    5,
                    stats)));
    try (MetricsServer s = MetricsServer.start("127.0.0.1:0", () -> views, h)) {
      assertTrue(s.url().startsWith("http://127.0.0.1:"), s.url());
      String t = scrape(s.url());
      assertTrue(t.contains("ossfuse_daemon_mounts 2.0"), t);
      assertTrue(
          t.contains(
              "ossfuse_mount_info{driver=\"ossfuse\",mount=\"/mnt/a\",source=\"oss://bkt/dir\",transport=\"jnr\"} 1"),
          t);
      assertTrue(
          t.contains("ossfuse_mount_state{mount=\"/mnt/a\",ossfuse_mount_state=\"HEALTHY\"} 1"), t);
      assertTrue(
          t.contains("ossfuse_mount_state{mount=\"/mnt/b\",ossfuse_mount_state=\"RECOVERING\"} 1"),
          t);
      assertTrue(t.contains("ossfuse_mount_healthy{mount=\"/mnt/b\"} 0.0"), t);
      assertTrue(t.contains("ossfuse_mount_restarts_total{mount=\"/mnt/b\"} 5.0"), t);
      assertTrue(t.contains("ossfuse_mount_uptime_seconds{mount=\"/mnt/a\"} 65.0"), t);
      assertTrue(t.contains("ossfuse_recovery_duration_seconds_count{mount=\"/mnt/a\"} 2"), t);
      assertTrue(
          t.contains("ossfuse_recovery_duration_seconds_bucket{mount=\"/mnt/a\",le=\"0.5\"} 1"), t);
      assertTrue(
          t.contains("ossfuse_recovery_duration_seconds_bucket{mount=\"/mnt/a\",le=\"2.5\"} 2"), t);
      assertTrue(t.contains("ossfuse_recovery_duration_seconds_sum{mount=\"/mnt/a\"} 1.8"), t);
      assertTrue(t.contains("ossfuse_fuse_ops_total{mount=\"/mnt/a\",op=\"read\"} 1.0"), t);
      assertTrue(
          t.contains(
              "ossfuse_fuse_errors_total{errno=\"ENOENT\",mount=\"/mnt/a\",op=\"lookup\"} 1.0"),
          t);
      assertTrue(
          t.contains(
              "ossfuse_fuse_op_duration_seconds_bucket{mount=\"/mnt/a\",op=\"read\",le=\"0.0025\"} 0"),
          t);
      assertTrue(
          t.contains(
              "ossfuse_fuse_op_duration_seconds_bucket{mount=\"/mnt/a\",op=\"read\",le=\"0.005\"} 1"),
          t);
      assertTrue(
          t.contains("ossfuse_oss_received_bytes_total{mount=\"/mnt/a\",op=\"get\"} 1048576.0"), t);
      assertTrue(
          t.contains("ossfuse_fuse_read_bytes_total{mount=\"/mnt/a\",op=\"read\"} 4096.0"), t);
      assertTrue(t.contains("ossfuse_oss_errors_total{mount=\"/mnt/a\",op=\"list\"} 1.0"), t);
      assertTrue(t.contains("ossfuse_cache_hits_total{mount=\"/mnt/a\"} 7.0"), t);
      assertTrue(t.contains("ossfuse_cache_misses_total{mount=\"/mnt/a\"} 3.0"), t);
      assertTrue(t.contains("ossfuse_cache_demotions_total{mount=\"/mnt/a\"} 1.0"), t);
      assertTrue(
          t.contains(
              "ossfuse_cache_level_quota_bytes{level=\"0\",medium=\"MEM\",mount=\"/mnt/a\"} 1048576.0"),
          t);
      assertTrue(
          t.contains(
              "ossfuse_cache_level_high_watermark_ratio{level=\"0\",medium=\"MEM\",mount=\"/mnt/a\"} 0.95"),
          t);
      assertFalse(
          t.contains("mount=\"/mnt/b\",op="),
          "no data-path numbers for a mount whose child is not the snapshot's: " + t);
      // the mount set is read at every scrape
      views.remove(1);
      assertTrue(scrape(s.url()).contains("ossfuse_daemon_mounts 1.0"));
    }
  }

  @Test
  void stateNamesAreTheLifecycleStates() {
    assertEquals(
        java.util.Arrays.stream(MountState.values()).map(Enum::name).toList(),
        MetricsCollector.STATES);
  }

  @Test
  void addressesDefaultToLoopback() {
    assertArrayEquals(new String[] {"127.0.0.1", "9464"}, MetricsServer.parse("9464"));
    assertArrayEquals(new String[] {"127.0.0.1", "9464"}, MetricsServer.parse(":9464"));
    assertArrayEquals(new String[] {"0.0.0.0", "9464"}, MetricsServer.parse("0.0.0.0:9464"));
    assertArrayEquals(new String[] {"::1", "9464"}, MetricsServer.parse("[::1]:9464"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> MetricsServer.parse("host:http"));
    assertTrue(
        e.getMessage().startsWith("--metrics-addr 'host:http' has no valid port"), e.getMessage());
  }

  @Test
  void historyKeepsTheLastEventsNewestFirst() {
    RecoveryHistory h = new RecoveryHistory(() -> 5L);
    for (int i = 0; i < RecoveryHistory.KEEP + 3; i++) h.recovered("/m", "cause " + i, i);
    List<RecoveryHistory.Event> r = h.recent("/m");
    assertEquals(RecoveryHistory.KEEP, r.size());
    assertEquals(
        new RecoveryHistory.Event(
            5, "cause " + (RecoveryHistory.KEEP + 2), RecoveryHistory.KEEP + 2),
        r.get(0));
    assertEquals(RecoveryHistory.KEEP + 3, h.histogram("/m").count());
    assertTrue(h.recent("/other").isEmpty());
  }
}
