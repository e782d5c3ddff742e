package io.ossfuse.oss;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/**
 * The RAM role attached to the ECS instance (the node), from the instance metadata service. In the
 * hardened mode (IMDSv2-style) a session token is asked for first with a PUT and sent with every
 * read; when that PUT fails the plain reads are tried, unless {@code imdsV1Disabled}.
 */
final class EcsRoleSource implements SessionCredentials.Source {
  static final String DEFAULT_METADATA_ENDPOINT = "http://100.100.100.200";
  static final String CREDENTIALS_PATH = "/latest/meta-data/ram/security-credentials/";
  static final String TOKEN_PATH = "/latest/api/token";
  static final String TOKEN_HEADER = "X-aliyun-ecs-metadata-token";
  static final String TOKEN_TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String endpoint;
  private final boolean imdsV1Disabled;
  private final HttpClient http;
  private volatile String roleName;

  /**
   * {@code roleName} null or blank: the one role attached to the instance, asked for at the first
   * fetch.
   */
  EcsRoleSource(String roleName, String endpoint, boolean imdsV1Disabled) {
    this.roleName = roleName == null || roleName.isBlank() ? null : roleName.strip();
    this.endpoint =
        endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    this.imdsV1Disabled = imdsV1Disabled;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  @Override
  public SessionCredentials fetch() {
    String token = token();
    if (roleName == null) {
      String names = get(CREDENTIALS_PATH, token, "the instance's RAM role name").strip();
      if (names.isEmpty()) {
        throw new IllegalStateException(
            "no RAM role is attached to this ECS instance (metadata service "
                + endpoint
                + "); attach one or use another credential source");
      }
      roleName = names.lines().findFirst().orElseThrow().strip();
    }
    String body = get(CREDENTIALS_PATH + roleName, token, "credentials of RAM role " + roleName);
    try {
      JsonNode d = JSON.readTree(body);
      if (!"Success".equals(d.path("Code").asText("Success"))) {
        throw new IllegalStateException(
            "the ECS metadata service refused credentials of RAM role "
                + roleName
                + ": "
                + d.path("Code").asText());
      }
      return new SessionCredentials(
          d.path("AccessKeyId").asText(null),
          d.path("AccessKeySecret").asText(null),
          d.path("SecurityToken").asText(null),
          Instant.parse(d.path("Expiration").asText()));
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalStateException ise) throw ise;
      throw new IllegalStateException(
          "the ECS metadata service "
              + endpoint
              + " answered credentials of RAM role "
              + roleName
              + " without usable keys or Expiration");
    }
  }

  /**
   * The hardened-mode session token, or null when the service does not give one and plain reads are
   * allowed.
   */
  private String token() {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(endpoint + TOKEN_PATH))
            .timeout(Duration.ofSeconds(3))
            .header(TOKEN_TTL_HEADER, "21600")
            .PUT(HttpRequest.BodyPublishers.noBody())
            .build();
    String why;
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200 && !r.body().isBlank()) return r.body().strip();
      why = "HTTP " + r.statusCode();
    } catch (IOException e) {
      why = e.getClass().getSimpleName();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "interrupted while asking the ECS metadata service for a token");
    }
    if (imdsV1Disabled) {
      throw new IllegalStateException(
          "cannot get a metadata token from the ECS metadata service "
              + endpoint
              + " ("
              + why
              + ") and ALIBABA_CLOUD_IMDSV1_DISABLED forbids plain reads");
    }
    return null;
  }

  private String get(String path, String token, String what) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(endpoint + path)).timeout(Duration.ofSeconds(5)).GET();
    if (token != null) b.header(TOKEN_HEADER, token);
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 404) {
        throw new IllegalStateException(
            "the ECS metadata service "
                + endpoint
                + " has no "
                + what
                + " (404); check the role attached to the instance and ALIBABA_CLOUD_ECS_METADATA");
      }
      if (r.statusCode() != 200) {
        throw new IllegalStateException(
            "the ECS metadata service "
                + endpoint
                + " answered "
                + r.statusCode()
                + " for "
                + what);
      }
      return r.body();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot reach the ECS metadata service "
              + endpoint
              + " for "
              + what
              + " ("
              + e.getClass().getSimpleName()
              + "); it answers only on ECS instances");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading " + what);
    }
  }

  @Override
  public String describe() {
    return "ECS instance RAM role " + (roleName == null ? "(attached to the instance)" : roleName);
  }
}
