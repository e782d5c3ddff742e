package io.ossfuse.oss;

import com.aliyun.oss.common.auth.Credentials;
import com.aliyun.oss.common.auth.DefaultCredentials;
import java.time.Instant;
import java.util.Objects;

/**
 * Temporary keys (STS) and when they stop working. {@link #toString()} shows no key material.
 *
 * @param accessKeyId the STS access key id ({@code STS.xxx})
 * @param accessKeySecret its secret
 * @param securityToken the session token sent with every request
 * @param expiration when OSS starts refusing them
 */
record SessionCredentials(
    String accessKeyId, String accessKeySecret, String securityToken, Instant expiration) {
  SessionCredentials {
    Objects.requireNonNull(expiration, "expiration");
    if (accessKeyId == null
        || accessKeyId.isBlank()
        || accessKeySecret == null
        || accessKeySecret.isBlank()) {
      throw new IllegalArgumentException("the answer holds no AccessKeyId/AccessKeySecret");
    }
  }

  Credentials toOss() {
    return new DefaultCredentials(accessKeyId, accessKeySecret, securityToken);
  }

  @Override
  public String toString() {
    return "SessionCredentials[accessKeyId="
        + OssCredentials.redact(accessKeyId)
        + ", expiration="
        + expiration
        + "]";
  }

  /**
   * Where fresh session keys come from: one network round trip (STS, the instance metadata
   * service).
   */
  interface Source {
    /**
     * Fetches new keys; IllegalStateException with a one-line reason when refused or unreachable.
     */
    SessionCredentials fetch();

    /**
     * What the keys are, for logs and errors (e.g. {@code RRSA role acs:ram::1:role/r}); no
     * secrets.
     */
    String describe();
  }
}
