package io.ossfuse.oss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aliyun.oss.common.auth.Credentials;
import com.aliyun.oss.common.auth.CredentialsProvider;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RRSA and the ECS instance role against loopback stand-ins for STS and the metadata service (JDK
 * HttpServer), with a settable clock to walk keys towards their expiration.
 */
class CredentialSourcesTest {
  private static final String ROLE = "acs:ram::1234567890:role/oss-reader";
  private static final String PROVIDER = "acs:ram::1234567890:oidc-provider/ack-rrsa-c1";

  @TempDir Path dir;
  private HttpServer server;
  private String base;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T10:00:00Z"));
  private final List<Map<String, String>> stsCalls = new CopyOnWriteArrayList<>();
  private final List<String> metadataCalls = new CopyOnWriteArrayList<>();
  private final AtomicInteger issued = new AtomicInteger();
  private volatile int stsStatus = 200;
  private volatile boolean tokenEndpoint = true;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/sts/", this::sts);
    server.createContext("/latest/", this::metadata);
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  /** STS AssumeRoleWithOIDC: keys valid 1 h from the test clock, a new pair per call. */
  private void sts(HttpExchange ex) throws IOException {
    Map<String, String> form = new HashMap<>();
    for (String kv :
        new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
      int eq = kv.indexOf('=');
      form.put(
          URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
    }
    stsCalls.add(form);
    if (stsStatus != 200) {
      reply(
          ex,
          stsStatus,
          "{\"RequestId\":\"r1\",\"Code\":\"AuthenticationFail.NoPermission\",\"Message\":\"No permission to assume role\"}");
      return;
    }
    int n = issued.incrementAndGet();
    reply(
        ex,
        200,
        "{\"RequestId\":\"r\",\"Credentials\":{\"AccessKeyId\":\"STS.key"
            + n
            + "\",\"AccessKeySecret\":\"sec"
            + n
            + "\",\"SecurityToken\":\"tok"
            + n
            + "\",\"Expiration\":\""
            + clock.instant().plus(Duration.ofHours(1))
            + "\"}}");
  }

  /** The ECS metadata service, hardened mode: a PUT for the token, reads must carry it. */
  private void metadata(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String token = ex.getRequestHeaders().getFirst(EcsRoleSource.TOKEN_HEADER);
    metadataCalls.add(
        ex.getRequestMethod() + " " + path + (token == null ? "" : " token=" + token));
    if (path.equals(EcsRoleSource.TOKEN_PATH)) {
      if (!tokenEndpoint) {
        reply(ex, 404, "");
        return;
      }
      reply(
          ex,
          "PUT".equals(ex.getRequestMethod())
                  && ex.getRequestHeaders().containsKey(EcsRoleSource.TOKEN_TTL_HEADER)
              ? 200
              : 400,
          "mdtoken");
      return;
    }
    if (tokenEndpoint && !"mdtoken".equals(token)) {
      reply(ex, 401, "");
      return;
    }
    if (path.equals(EcsRoleSource.CREDENTIALS_PATH)) {
      reply(ex, 200, "node-role\n");
    } else if (path.equals(EcsRoleSource.CREDENTIALS_PATH + "node-role")) {
      int n = issued.incrementAndGet();
      reply(
          ex,
          200,
          "{\"AccessKeyId\":\"STS.ecs"
              + n
              + "\",\"AccessKeySecret\":\"esec"
              + n
              + "\",\"SecurityToken\":\"etok"
              + n
              + "\",\"Expiration\":\""
              + clock.instant().plus(Duration.ofHours(6))
              + "\",\"Code\":\"Success\"}");
    } else {
      reply(ex, 404, "");
    }
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) ex.getResponseBody().write(b);
    ex.close();
  }

  private Map<String, String> rrsaEnv() throws IOException {
    Path token = dir.resolve("token");
    Files.writeString(token, "eyJ.first.token\n");
    return Map.of(
        CredentialSources.ROLE_ARN,
        ROLE,
        CredentialSources.OIDC_PROVIDER_ARN,
        PROVIDER,
        CredentialSources.OIDC_TOKEN_FILE,
        token.toString(),
        CredentialSources.STS_ENDPOINT,
        base + "/sts/");
  }

  @Test
  void rrsaAssumesTheRoleWithTheTokenFileAndRenewsBeforeExpiryWithARotatedToken()
      throws IOException {
    CredentialsProvider p = CredentialSources.fromEnvironment(rrsaEnv(), clock);
    Credentials c = p.getCredentials();
    assertEquals("STS.key1", c.getAccessKeyId());
    assertEquals("tok1", c.getSecurityToken());
    Map<String, String> call = stsCalls.get(0);
    assertEquals("AssumeRoleWithOIDC", call.get("Action"));
    assertEquals(ROLE, call.get("RoleArn"));
    assertEquals(PROVIDER, call.get("OIDCProviderArn"));
    assertEquals("eyJ.first.token", call.get("OIDCToken"));
    assertEquals("3600", call.get("DurationSeconds"));
    assertFalse(p.toString().contains("sec1") || p.toString().contains("token"), p.toString());

    clock.advance(Duration.ofMinutes(45));
    assertEquals("STS.key1", p.getCredentials().getAccessKeyId(), "not yet due");
    assertEquals(1, stsCalls.size());

    Files.writeString(
        dir.resolve("token"), "eyJ.rotated.token"); // kubelet rotates the projected token
    clock.advance(Duration.ofMinutes(6)); // 9 minutes before expiry: renew
    assertEquals("STS.key2", p.getCredentials().getAccessKeyId());
    assertEquals("eyJ.rotated.token", stsCalls.get(1).get("OIDCToken"));
  }

  @Test
  void aFailedRenewalKeepsTheValidKeysAndRetriesLater() throws IOException {
    CredentialsProvider p = CredentialSources.fromEnvironment(rrsaEnv(), clock);
    stsStatus = 403;
    clock.advance(Duration.ofMinutes(55));
    assertEquals("STS.key1", p.getCredentials().getAccessKeyId(), "still valid: kept");
    assertEquals("STS.key1", p.getCredentials().getAccessKeyId());
    assertEquals(
        2,
        stsCalls.size(),
        "one attempt, then a pause of " + RefreshingCredentialsProvider.RETRY_AFTER);
    stsStatus = 200;
    clock.advance(RefreshingCredentialsProvider.RETRY_AFTER);
    assertEquals("STS.key2", p.getCredentials().getAccessKeyId());
  }

  @Test
  void aRoleThatCannotBeAssumedIsOneClearLine() throws IOException {
    stsStatus = 403;
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> CredentialSources.fromEnvironment(rrsaEnv(), clock));
    String m = e.getMessage();
    assertEquals(1, m.lines().count(), m);
    assertTrue(m.startsWith("cannot assume RAM role " + ROLE + " with the OIDC token in "), m);
    assertTrue(
        m.contains(
            "STS answered 403 AuthenticationFail.NoPermission (No permission to assume role)"),
        m);
    assertTrue(m.contains("check the role's trust policy"), m);
    assertFalse(m.contains("eyJ"), "no token in the message: " + m);
  }

  @Test
  void incompleteRrsaAndNothingAtAllAreOneLineEach() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CredentialSources.fromEnvironment(Map.of(CredentialSources.ROLE_ARN, ROLE), clock));
    assertEquals(
        "RRSA credentials are incomplete: ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE not set "
            + "(need ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE; ACK's pod identity "
            + "webhook sets all three)",
        e.getMessage());
    var none =
        assertThrows(
            IllegalArgumentException.class,
            () -> CredentialSources.fromEnvironment(Map.of(), clock));
    assertTrue(
        none.getMessage().startsWith("no credentials: pass --cred-dir DIR"), none.getMessage());
    var unreadable =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CredentialSources.fromEnvironment(
                    Map.of(
                        CredentialSources.ROLE_ARN,
                        ROLE,
                        CredentialSources.OIDC_PROVIDER_ARN,
                        PROVIDER,
                        CredentialSources.OIDC_TOKEN_FILE,
                        dir.resolve("absent").toString(),
                        CredentialSources.STS_ENDPOINT,
                        base + "/sts/"),
                    clock));
    assertTrue(
        unreadable
            .getMessage()
            .contains("cannot read the OIDC token file " + dir.resolve("absent")),
        unreadable.getMessage());
    assertEquals(0, stsCalls.size());
  }

  @Test
  void staticKeysWinOverRoles() throws IOException {
    Map<String, String> env = new HashMap<>(rrsaEnv());
    env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIexample");
    env.put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s3cr3t");
    Credentials c = CredentialSources.fromEnvironment(env, clock).getCredentials();
    assertEquals("LTAIexample", c.getAccessKeyId());
    assertNull(c.getSecurityToken());
    assertEquals(0, stsCalls.size());
  }

  @Test
  void stsEndpointFollowsRegionAndVpc() {
    assertEquals("https://sts.aliyuncs.com", CredentialSources.stsEndpoint(Map.of()));
    assertEquals(
        "https://sts.cn-hangzhou.aliyuncs.com",
        CredentialSources.stsEndpoint(Map.of(CredentialSources.STS_REGION, "cn-hangzhou")));
    assertEquals(
        "https://sts-vpc.cn-hangzhou.aliyuncs.com",
        CredentialSources.stsEndpoint(
            Map.of(
                CredentialSources.STS_REGION,
                "cn-hangzhou",
                CredentialSources.VPC_ENDPOINT_ENABLED,
                "true")));
  }

  @Test
  void ecsRoleUsesTheMetadataTokenDiscoversTheRoleAndRenews() {
    CredentialsProvider p =
        CredentialSources.fromEnvironment(
            Map.of(
                CredentialSources.ECS_METADATA, "", CredentialSources.ECS_METADATA_ENDPOINT, base),
            clock);
    assertEquals("STS.ecs1", p.getCredentials().getAccessKeyId());
    assertEquals("etok1", p.getCredentials().getSecurityToken());
    assertEquals(
        List.of(
            "PUT /latest/api/token",
            "GET /latest/meta-data/ram/security-credentials/ token=mdtoken",
            "GET /latest/meta-data/ram/security-credentials/node-role token=mdtoken"),
        metadataCalls);
    assertEquals("ECS instance RAM role node-role", p.toString());
    clock.advance(Duration.ofHours(6).minus(Duration.ofMinutes(9)));
    assertEquals("STS.ecs2", p.getCredentials().getAccessKeyId());
    assertEquals(5, metadataCalls.size(), "the role name is asked for once: " + metadataCalls);
  }

  @Test
  void ecsRoleFallsBackToPlainReadsUnlessImdsV1IsDisabled() {
    tokenEndpoint = false;
    CredentialsProvider p =
        CredentialSources.fromEnvironment(
            Map.of(
                CredentialSources.ECS_METADATA,
                "node-role",
                CredentialSources.ECS_METADATA_ENDPOINT,
                base),
            clock);
    assertEquals("STS.ecs1", p.getCredentials().getAccessKeyId());
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CredentialSources.fromEnvironment(
                    Map.of(
                        CredentialSources.ECS_METADATA,
                        "node-role",
                        CredentialSources.ECS_METADATA_ENDPOINT,
                        base,
                        CredentialSources.IMDSV1_DISABLED,
                        "true"),
                    clock));
    assertTrue(
        e.getMessage()
            .startsWith("cannot get a metadata token from the ECS metadata service " + base),
        e.getMessage());
  }

  @Test
  void anUnknownEcsRoleIsOneLine() {
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                CredentialSources.fromEnvironment(
                    Map.of(
                        CredentialSources.ECS_METADATA,
                        "other-role",
                        CredentialSources.ECS_METADATA_ENDPOINT,
                        base),
                    clock));
    assertEquals(
        "the ECS metadata service "
            + base
            + " has no credentials of RAM role other-role (404); check the role "
            + "attached to the instance and ALIBABA_CLOUD_ECS_METADATA",
        e.getMessage());
    assertInstanceOf(IllegalStateException.class, e.getCause());
  }

  /** A clock the test moves. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant start) {
      now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
