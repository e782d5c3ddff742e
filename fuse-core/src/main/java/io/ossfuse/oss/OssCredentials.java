package io.ossfuse.oss;

import com.aliyun.oss.common.auth.Credentials;
import com.aliyun.oss.common.auth.CredentialsProvider;
import com.aliyun.oss.common.auth.DefaultCredentials;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/** Factories for the credential sources ossfuse supports. */
public final class OssCredentials {
  public static final String ENV_ID = "OSS_ACCESS_KEY_ID";
  public static final String ENV_SECRET = "OSS_ACCESS_KEY_SECRET";
  public static final String ENV_TOKEN = "OSS_SESSION_TOKEN";

  private OssCredentials() {}

  /**
   * Keys from files {@code fs.oss.accessKeyId}, {@code fs.oss.accessKeySecret} and optionally
   * {@code fs.oss.securityToken} in {@code dir} (a Kubernetes Secret volume). Re-read when the
   * files change, at most once a second. Throws IllegalArgumentException (one line) when unreadable
   * now.
   */
  public static CredentialsProvider fromDirectory(Path dir) {
    return new SecretDirCredentialsProvider(dir, Clock.systemUTC());
  }

  /**
   * Keys from {@code OSS_ACCESS_KEY_ID}/{@code OSS_ACCESS_KEY_SECRET}[/{@code OSS_SESSION_TOKEN}].
   */
  public static CredentialsProvider fromEnvironment(Map<String, String> env) {
    String id = env.get(ENV_ID);
    String secret = env.get(ENV_SECRET);
    if (id == null || id.isBlank() || secret == null || secret.isBlank()) {
      throw new IllegalArgumentException(
          "no credentials: pass --cred-dir DIR (files fs.oss.accessKeyId and "
              + "fs.oss.accessKeySecret) or set "
              + ENV_ID
              + " and "
              + ENV_SECRET);
    }
    String token = env.get(ENV_TOKEN);
    return fixed(
        id.strip(), secret.strip(), token == null || token.isBlank() ? null : token.strip());
  }

  /** Fixed keys (tests, the demo). */
  public static CredentialsProvider fixed(
      String accessKeyId, String accessKeySecret, String securityToken) {
    return new Fixed(new DefaultCredentials(accessKeyId, accessKeySecret, securityToken));
  }

  private static final class Fixed implements CredentialsProvider {
    private volatile Credentials credentials;

    Fixed(Credentials credentials) {
      this.credentials = credentials;
    }

    @Override
    public void setCredentials(Credentials creds) {
      this.credentials = creds;
    }

    @Override
    public Credentials getCredentials() {
      return credentials;
    }

    @Override
    public String toString() {
      return "fixed(accessKeyId=" + redact(credentials.getAccessKeyId()) + ")";
    }
  }

  /** Shows only enough of an access key id to tell keys apart; never used for secrets. */
  static String redact(String accessKeyId) {
    if (accessKeyId == null || accessKeyId.length() < 8) return "***";
    return accessKeyId.substring(0, 4) + "***";
  }
}
