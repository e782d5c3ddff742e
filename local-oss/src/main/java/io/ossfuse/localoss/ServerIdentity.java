package io.ossfuse.localoss;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;

/** What the server says about itself in answers: host, region, start time, request-id prefix. */
final class ServerIdentity {
  final String hostText;
  final String region;
  final Clock clock;
  final long idBase = new SecureRandom().nextLong() & 0x7fffffffffffffffL;
  private volatile Instant startedAt;

  ServerIdentity(InetAddress bindAddress, String region, Clock clock) {
    this.hostText = hostText(bindAddress);
    this.region = region;
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  /** The bound address as clients write it in a URL host, without an IPv6 zone. */
  private static String hostText(InetAddress a) {
    String s = a.getHostAddress();
    if (a instanceof Inet6Address) {
      int pct = s.indexOf('%');
      return pct >= 0 ? s.substring(0, pct) : s;
    }
    return s;
  }

  String location() {
    return "oss-" + region;
  }

  /** Reported as every bucket's creation date. */
  Instant startedAt() {
    return startedAt;
  }

  void markStarted() {
    startedAt = clock.instant();
  }
}
