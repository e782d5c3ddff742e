package io.ossfuse.localoss;

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

    ServerIdentity(String hostText, String region, Clock clock) {
        this.hostText = hostText;
        this.region = region;
        this.clock = clock;
        this.startedAt = clock.instant();
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
