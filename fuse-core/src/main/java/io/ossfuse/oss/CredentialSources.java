package io.ossfuse.oss;

import com.aliyun.oss.common.auth.CredentialsProvider;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The credentials of a mount without {@code --cred-dir}, from the environment, first match wins:
 *
 * <ol>
 *   <li>keys: {@code OSS_ACCESS_KEY_ID}/{@code OSS_ACCESS_KEY_SECRET}[/{@code OSS_SESSION_TOKEN}],
 *       or the Alibaba Cloud names {@code ALIBABA_CLOUD_ACCESS_KEY_ID}/{@code
 *       ALIBABA_CLOUD_ACCESS_KEY_SECRET} [/{@code ALIBABA_CLOUD_SECURITY_TOKEN}];
 *   <li>RRSA (ACK pods): {@code ALIBABA_CLOUD_ROLE_ARN}, {@code ALIBABA_CLOUD_OIDC_PROVIDER_ARN},
 *       {@code ALIBABA_CLOUD_OIDC_TOKEN_FILE} → STS AssumeRoleWithOIDC (optional {@code
 *       ALIBABA_CLOUD_ROLE_SESSION_NAME}, {@code ALIBABA_CLOUD_STS_REGION}, {@code
 *       ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED});
 *   <li>the ECS instance RAM role: {@code ALIBABA_CLOUD_ECS_METADATA=<role name>} (empty: the role
 *       attached to the instance), hardened metadata mode when available ({@code
 *       ALIBABA_CLOUD_IMDSV1_DISABLED=true} requires it).
 * </ol>
 *
 * Role keys are fetched once here (a refused role is one error line now, not at the first read) and
 * renewed before they expire. {@code OSSFUSE_STS_ENDPOINT} and {@code
 * OSSFUSE_ECS_METADATA_ENDPOINT} move the two services (private endpoints, tests).
 *
 * <p>We do not use Alibaba's credentials-java: its STS scheme is fixed to https and its metadata
 * host cannot be set, so its providers cannot be tested against loopback stand-ins; the OSS SDK's
 * own providers have no OIDC. Both calls are small, unsigned HTTP requests.
 */
public final class CredentialSources {
  public static final String ROLE_ARN = "ALIBABA_CLOUD_ROLE_ARN";
  public static final String OIDC_PROVIDER_ARN = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
  public static final String OIDC_TOKEN_FILE = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
  public static final String ROLE_SESSION_NAME = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
  public static final String STS_REGION = "ALIBABA_CLOUD_STS_REGION";
  public static final String VPC_ENDPOINT_ENABLED = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";
  public static final String ECS_METADATA = "ALIBABA_CLOUD_ECS_METADATA";
  public static final String IMDSV1_DISABLED = "ALIBABA_CLOUD_IMDSV1_DISABLED";
  public static final String STS_ENDPOINT = "OSSFUSE_STS_ENDPOINT";
  public static final String ECS_METADATA_ENDPOINT = "OSSFUSE_ECS_METADATA_ENDPOINT";
  static final Duration ROLE_SESSION = Duration.ofHours(1);

  private CredentialSources() {}

  /**
   * See the class comment. IllegalArgumentException with one line when nothing fits or a role is
   * refused.
   */
  public static CredentialsProvider fromEnvironment(Map<String, String> env) {
    return fromEnvironment(env, Clock.systemUTC());
  }

  static CredentialsProvider fromEnvironment(Map<String, String> env, Clock clock) {
    if (set(env, OssCredentials.ENV_ID) || set(env, OssCredentials.ENV_SECRET))
      return OssCredentials.fromEnvironment(env);
    if (set(env, "ALIBABA_CLOUD_ACCESS_KEY_ID") && set(env, "ALIBABA_CLOUD_ACCESS_KEY_SECRET")) {
      String token = env.get("ALIBABA_CLOUD_SECURITY_TOKEN");
      return OssCredentials.fixed(
          env.get("ALIBABA_CLOUD_ACCESS_KEY_ID").strip(),
          env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET").strip(),
          set(env, "ALIBABA_CLOUD_SECURITY_TOKEN") ? token.strip() : null);
    }
    List<String> rrsa = List.of(ROLE_ARN, OIDC_PROVIDER_ARN, OIDC_TOKEN_FILE);
    List<String> missing = new ArrayList<>();
    for (String k : rrsa) if (!set(env, k)) missing.add(k);
    if (missing.size() < rrsa.size()) {
      if (!missing.isEmpty()) {
        throw new IllegalArgumentException(
            "RRSA credentials are incomplete: "
                + String.join(", ", missing)
                + " not set (need "
                + String.join(", ", rrsa)
                + "; ACK's pod identity webhook sets all three)");
      }
      String session =
          set(env, ROLE_SESSION_NAME)
              ? env.get(ROLE_SESSION_NAME).strip()
              : "ossfuse-" + ProcessHandle.current().pid();
      return new RefreshingCredentialsProvider(
          new OidcRoleSource(
              env.get(ROLE_ARN).strip(),
              env.get(OIDC_PROVIDER_ARN).strip(),
              Path.of(env.get(OIDC_TOKEN_FILE).strip()),
              session,
              ROLE_SESSION,
              stsEndpoint(env),
              clock),
          clock);
    }
    if (env.containsKey(ECS_METADATA)) {
      String endpoint =
          set(env, ECS_METADATA_ENDPOINT)
              ? env.get(ECS_METADATA_ENDPOINT).strip()
              : EcsRoleSource.DEFAULT_METADATA_ENDPOINT;
      return new RefreshingCredentialsProvider(
          new EcsRoleSource(
              env.get(ECS_METADATA),
              endpoint,
              "true".equalsIgnoreCase(env.getOrDefault(IMDSV1_DISABLED, "").strip())),
          clock);
    }
    throw new IllegalArgumentException(
        "no credentials: pass --cred-dir DIR (files fs.oss.accessKeyId and "
            + "fs.oss.accessKeySecret), or set "
            + OssCredentials.ENV_ID
            + " and "
            + OssCredentials.ENV_SECRET
            + ", or RRSA's "
            + ROLE_ARN
            + "/"
            + OIDC_PROVIDER_ARN
            + "/"
            + OIDC_TOKEN_FILE
            + ", or "
            + ECS_METADATA
            + "=<ECS RAM role>");
  }

  static String stsEndpoint(Map<String, String> env) {
    if (set(env, STS_ENDPOINT)) return env.get(STS_ENDPOINT).strip();
    if (!set(env, STS_REGION)) return OidcRoleSource.DEFAULT_STS_ENDPOINT;
    String region = env.get(STS_REGION).strip();
    boolean vpc = "true".equalsIgnoreCase(env.getOrDefault(VPC_ENDPOINT_ENABLED, "").strip());
    return "https://" + (vpc ? "sts-vpc." : "sts.") + region + ".aliyuncs.com";
  }

  private static boolean set(Map<String, String> env, String key) {
    String v = env.get(key);
    return v != null && !v.isBlank();
  }
}
