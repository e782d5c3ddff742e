package io.ossfuse.localoss;

import java.nio.file.Path;

/**
 * Manual probe, not a test: serves {@code args[0]} (a root with bucket dirs) anonymously on {@code
 * args[1]} (port) until killed, so curl can measure GET throughput.
 */
final class ThroughputProbe {
  private ThroughputProbe() {}

  public static void main(String[] args) throws Exception {
    ETagMode mode = args.length > 2 ? ETagMode.valueOf(args[2]) : ETagMode.FILE_IDENTITY;
    try (LocalOssServer s =
        LocalOssServer.builder()
            .root(Path.of(args[0]))
            .port(Integer.parseInt(args[1]))
            .allowAnonymousRead(true)
            .etagMode(mode)
            .build()
            .start()) {
      System.out.println(s.banner());
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
