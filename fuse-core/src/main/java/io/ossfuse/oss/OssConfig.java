package io.ossfuse.oss;

import com.aliyun.oss.common.auth.CredentialsProvider;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * How to reach one bucket. Immutable; validated here. {@link #toString()} never shows credentials.
 *
 * @param endpoint {@code fs.oss.endpoint}, e.g. {@code https://oss-cn-hangzhou.aliyuncs.com} or
 *     {@code http://127.0.0.1:9000}; a missing scheme means https
 * @param source bucket and directory prefix
 * @param credentials where the access keys come from (read on every request, so rotation works)
 * @param signature V1 (default) or V4
 * @param region the region for V4 (e.g. {@code cn-hangzhou}); null for V1
 * @param socketTimeout longest silence on a listing or HEAD connection
 * @param bodies how long an object read may wait (idle timeout, hedge delay, deadline)
 */
public record OssConfig(
    String endpoint,
    OssUri source,
    CredentialsProvider credentials,
    SignatureVersion signature,
    String region,
    Duration connectTimeout,
    Duration socketTimeout,
    int sdkRetries,
    int bodyRetries,
    BodyTimeouts bodies) {

  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(30);

  public OssConfig {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(credentials, "credentials");
    if (signature == null) signature = SignatureVersion.V1;
    if (connectTimeout == null) connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    if (socketTimeout == null) socketTimeout = DEFAULT_SOCKET_TIMEOUT;
    if (bodies == null) bodies = BodyTimeouts.DEFAULTS;
    endpoint = normalizeEndpoint(endpoint);
    if (signature == SignatureVersion.V4 && (region == null || region.isBlank())) {
      throw new IllegalArgumentException("signature V4 needs a region (e.g. --region cn-hangzhou)");
    }
    if (sdkRetries < 0 || bodyRetries < 0)
      throw new IllegalArgumentException("retries must be >= 0");
    if (connectTimeout.isNegative()
        || connectTimeout.isZero()
        || socketTimeout.isNegative()
        || socketTimeout.isZero()) {
      throw new IllegalArgumentException("timeouts must be > 0");
    }
  }

  /** The same without {@code bodies}: {@link BodyTimeouts#DEFAULTS}. */
  public OssConfig(
      String endpoint,
      OssUri source,
      CredentialsProvider credentials,
      SignatureVersion signature,
      String region,
      Duration connectTimeout,
      Duration socketTimeout,
      int sdkRetries,
      int bodyRetries) {
    this(
        endpoint,
        source,
        credentials,
        signature,
        region,
        connectTimeout,
        socketTimeout,
        sdkRetries,
        bodyRetries,
        null);
  }

  /** This config with other object-read timeouts. */
  public OssConfig withBodies(BodyTimeouts b) {
    return new OssConfig(
        endpoint,
        source,
        credentials,
        signature,
        region,
        connectTimeout,
        socketTimeout,
        sdkRetries,
        bodyRetries,
        b);
  }

  /** A config with default timeouts and retries. */
  public static OssConfig of(
      String endpoint,
      OssUri source,
      CredentialsProvider credentials,
      SignatureVersion signature,
      String region) {
    return new OssConfig(endpoint, source, credentials, signature, region, null, null, 3, 3, null);
  }

  static String normalizeEndpoint(String endpoint) {
    if (endpoint == null || endpoint.isBlank()) {
      throw new IllegalArgumentException(
          "missing endpoint: set fs.oss.endpoint (--endpoint), e.g. https://oss-cn-hangzhou.aliyuncs.com");
    }
    String e = endpoint.strip();
    if (!e.contains("://")) e = "https://" + e;
    URI uri;
    try {
      uri = URI.create(e);
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException(
          "malformed endpoint '" + endpoint + "': " + ex.getMessage());
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      throw new IllegalArgumentException(
          "malformed endpoint '" + endpoint + "': the scheme must be http or https");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new IllegalArgumentException("malformed endpoint '" + endpoint + "': no host");
    }
    if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
      throw new IllegalArgumentException(
          "malformed endpoint '" + endpoint + "': it must not have a path");
    }
    return uri.getScheme() + "://" + uri.getAuthority();
  }

  @Override
  public String toString() {
    return "OssConfig[endpoint="
        + endpoint
        + ", source="
        + source
        + ", credentials="
        + credentials
        + ", signature="
        + signature
        + (region == null ? "" : ", region=" + region)
        + "]";
  }
}
