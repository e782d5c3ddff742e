package io.ossfuse.oss;

import com.aliyun.oss.common.auth.Credentials;
import com.aliyun.oss.common.auth.CredentialsProvider;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporary keys that renew themselves before they expire, with no restart. The SDK asks for keys
 * on every request; when the current ones are within {@link #refreshAhead} of their expiration,
 * that request fetches new ones first (one caller at a time; the others keep using the current keys
 * while those are still valid). A failed renewal keeps the current keys, logs one warning per
 * failure streak and is retried after {@link #RETRY_AFTER}; once they have expired the next request
 * tries again and OSS answers 403 until a renewal succeeds.
 */
final class RefreshingCredentialsProvider implements CredentialsProvider {
  private static final Logger LOG = LoggerFactory.getLogger(RefreshingCredentialsProvider.class);

  /** Renew this long before expiry at most (STS keys live 15 min to 12 h, ECS role keys ~6 h). */
  static final Duration MAX_REFRESH_AHEAD = Duration.ofMinutes(10);

  static final Duration RETRY_AFTER = Duration.ofSeconds(10);

  private final SessionCredentials.Source source;
  private final Clock clock;
  private volatile SessionCredentials current;
  private volatile Credentials currentOss;
  private volatile Instant refreshAt;
  private volatile boolean failing;

  /** Fetches the first keys now: IllegalArgumentException (one line) when that fails. */
  RefreshingCredentialsProvider(SessionCredentials.Source source, Clock clock) {
    this.source = source;
    this.clock = clock;
    try {
      install(source.fetch());
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    LOG.info(
        "credentials: {} (accessKeyId {}, valid until {})",
        source.describe(),
        OssCredentials.redact(current.accessKeyId()),
        current.expiration());
  }

  private void install(SessionCredentials c) {
    Instant now = clock.instant();
    Duration life = Duration.between(now, c.expiration());
    if (life.isNegative()) life = Duration.ZERO;
    // Half the lifetime for short-lived keys (tests, 15-minute STS sessions), else 10 minutes
    // ahead.
    Duration ahead =
        life.dividedBy(2).compareTo(MAX_REFRESH_AHEAD) < 0 ? life.dividedBy(2) : MAX_REFRESH_AHEAD;
    current = c;
    currentOss = c.toOss();
    refreshAt = c.expiration().minus(ahead);
  }

  @Override
  public Credentials getCredentials() {
    if (!clock.instant().isBefore(refreshAt)) refresh();
    return currentOss;
  }

  /** Renews now if due; returns whether the keys are fresh (tests). */
  synchronized boolean refresh() {
    Instant now = clock.instant();
    if (now.isBefore(refreshAt)) return true;
    try {
      install(source.fetch());
      if (failing) LOG.info("credentials: renewed {} after earlier failures", source.describe());
      else
        LOG.debug(
            "credentials: renewed {}, valid until {}", source.describe(), current.expiration());
      failing = false;
      return true;
    } catch (RuntimeException e) {
      refreshAt = now.plus(RETRY_AFTER);
      if (!failing) {
        boolean expired = !now.isBefore(current.expiration());
        LOG.warn(
            "credentials: cannot renew {}: {}; {}",
            source.describe(),
            e.getMessage(),
            expired
                ? "the current keys have expired, OSS will refuse requests until a renewal works"
                : "keeping the current keys until " + current.expiration());
      }
      failing = true;
      return false;
    }
  }

  @Override
  public void setCredentials(Credentials creds) {
    currentOss = creds;
  }

  /** When the keys in use expire (tests, status). */
  Instant expiration() {
    return current.expiration();
  }

  @Override
  public String toString() {
    return source.describe();
  }
}
