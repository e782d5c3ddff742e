package io.ossfuse.fuse.raw;

import java.time.Duration;
import java.util.Map;

/**
 * A serving child generation for tests: serves {@link PatternFileSystem} on the /dev/fuse fd it
 * inherited as stdin. Configured by environment (PATTERN_BIG_BYTES, PATTERN_MATERIALIZE,
 * PATTERN_READ_DELAY_MS, PATTERN_READDIR_DELAY_MS, RAW_WORKERS, RAW_FORCE_CLONE,
 * RAW_PAUSE_INIT_SAVE_MS, RAW_PAUSE_INIT_REPLY_MS) plus {@link SessionState#environment()}.
 */
public final class PatternFsChild {
  private PatternFsChild() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    java.util.function.Supplier<PatternFileSystem> fs =
        () ->
            new PatternFileSystem(
                Long.parseLong(env.getOrDefault("PATTERN_BIG_BYTES", Integer.toString(64 << 20))),
                Boolean.parseBoolean(env.getOrDefault("PATTERN_MATERIALIZE", "false")),
                Long.parseLong(env.getOrDefault("PATTERN_READ_DELAY_MS", "0")),
                Long.parseLong(env.getOrDefault("PATTERN_READDIR_DELAY_MS", "0")));
    fs.get(); // build once before serving: a standby pays class loading up front
    RawFuseConfig config =
        RawFuseConfig.defaults()
            .withWorkers(Integer.parseInt(env.getOrDefault("RAW_WORKERS", "4")))
            .withForceClonedFd(Boolean.parseBoolean(env.getOrDefault("RAW_FORCE_CLONE", "false")))
            .withTestPauses(
                Duration.ofMillis(Long.parseLong(env.getOrDefault("RAW_PAUSE_INIT_SAVE_MS", "0"))),
                Duration.ofMillis(
                    Long.parseLong(env.getOrDefault("RAW_PAUSE_INIT_REPLY_MS", "0"))));
    System.err.println("child " + ProcessHandle.current().pid() + " ready to serve");
    RawFuseTransport.serveStdin(fs, config);
    System.exit(0);
  }
}
