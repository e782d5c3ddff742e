package io.ossfuse.oss;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * RRSA on ACK: trades the pod's projected service-account token (an OIDC token, re-read on every
 * renewal because kubelet rotates it) for temporary keys of a RAM role, with STS {@code
 * AssumeRoleWithOIDC}. That call is not signed: the OIDC token is the proof.
 */
final class OidcRoleSource implements SessionCredentials.Source {
  static final String DEFAULT_STS_ENDPOINT = "https://sts.aliyuncs.com";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String roleArn;
  private final String providerArn;
  private final Path tokenFile;
  private final String sessionName;
  private final Duration duration;
  private final URI sts;
  private final HttpClient http;
  private final Clock clock;

  OidcRoleSource(
      String roleArn,
      String providerArn,
      Path tokenFile,
      String sessionName,
      Duration duration,
      String stsEndpoint,
      Clock clock) {
    this.roleArn = roleArn;
    this.providerArn = providerArn;
    this.tokenFile = tokenFile;
    this.sessionName = sessionName;
    this.duration = duration;
    this.sts = URI.create(stsEndpoint.endsWith("/") ? stsEndpoint : stsEndpoint + "/");
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public SessionCredentials fetch() {
    String token;
    try {
      token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot assume RAM role "
              + roleArn
              + ": cannot read the OIDC token file "
              + tokenFile
              + " ("
              + e.getClass().getSimpleName()
              + "); check ALIBABA_CLOUD_OIDC_TOKEN_FILE and the "
              + "pod's projected service-account token volume");
    }
    Map<String, String> form = new LinkedHashMap<>();
    form.put("Action", "AssumeRoleWithOIDC");
    form.put("Format", "JSON");
    form.put("Version", "2015-04-01");
    form.put(
        "Timestamp",
        DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS)));
    form.put("SignatureNonce", UUID.randomUUID().toString());
    form.put("RoleArn", roleArn);
    form.put("OIDCProviderArn", providerArn);
    form.put("RoleSessionName", sessionName);
    form.put("DurationSeconds", Long.toString(duration.toSeconds()));
    form.put("OIDCToken", token);
    String body =
        form.entrySet().stream()
            .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
            .collect(Collectors.joining("&"));
    HttpRequest req =
        HttpRequest.newBuilder(sts)
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    HttpResponse<String> resp;
    try {
      resp = http.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot assume RAM role "
              + roleArn
              + ": STS "
              + sts
              + " unreachable ("
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage())
              + "); check the network or ALIBABA_CLOUD_STS_REGION / OSSFUSE_STS_ENDPOINT");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("cannot assume RAM role " + roleArn + ": interrupted");
    }
    JsonNode doc = parse(resp.body());
    if (resp.statusCode() != 200 || doc == null || !doc.hasNonNull("Credentials")) {
      String code = doc == null ? "" : doc.path("Code").asText("");
      String msg = doc == null ? "" : doc.path("Message").asText("");
      throw new IllegalStateException(
          "cannot assume RAM role "
              + roleArn
              + " with the OIDC token in "
              + tokenFile
              + ": STS answered "
              + resp.statusCode()
              + (code.isEmpty() ? "" : " " + code)
              + (msg.isEmpty() ? "" : " (" + msg.lines().findFirst().orElse("") + ")")
              + "; check the role's trust policy, ALIBABA_CLOUD_ROLE_ARN and ALIBABA_CLOUD_OIDC_PROVIDER_ARN");
    }
    JsonNode c = doc.get("Credentials");
    try {
      return new SessionCredentials(
          c.path("AccessKeyId").asText(null),
          c.path("AccessKeySecret").asText(null),
          c.path("SecurityToken").asText(null),
          Instant.parse(c.path("Expiration").asText()));
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot assume RAM role "
              + roleArn
              + ": STS "
              + sts
              + " answered credentials without usable keys or Expiration");
    }
  }

  private static JsonNode parse(String body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public String describe() {
    return "RRSA role " + roleArn;
  }
}
