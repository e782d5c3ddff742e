package io.ossfuse.oss;

import com.aliyun.oss.common.auth.Credentials;
import com.aliyun.oss.common.auth.CredentialsProvider;
import com.aliyun.oss.common.auth.DefaultCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads access keys from a Kubernetes Secret volume. Kubelet swaps the {@code ..data} symlink
 * atomically on rotation, so the real paths (and mtimes) of the files change; we compare that
 * fingerprint at most once a second and re-read when it differs. A failed re-read keeps the old
 * keys (a rotation may be half-way) and logs a warning without any key material.
 */
final class SecretDirCredentialsProvider implements CredentialsProvider {
  static final String ID_FILE = "fs.oss.accessKeyId";
  static final String SECRET_FILE = "fs.oss.accessKeySecret";
  static final String TOKEN_FILE = "fs.oss.securityToken";
  private static final Logger LOG = LoggerFactory.getLogger(SecretDirCredentialsProvider.class);
  private static final long CHECK_INTERVAL_MS = 1000;

  private final Path dir;
  private final Clock clock;
  private volatile Credentials current;
  private volatile String fingerprint;
  private volatile long nextCheckMs;

  SecretDirCredentialsProvider(Path dir, Clock clock) {
    this.dir = dir;
    this.clock = clock;
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          "credentials directory " + dir + " does not exist or is not a directory");
    }
    this.fingerprint = fingerprint();
    this.current = read();
    this.nextCheckMs = clock.millis() + CHECK_INTERVAL_MS;
  }

  @Override
  public void setCredentials(Credentials creds) {
    this.current = creds;
  }

  @Override
  public Credentials getCredentials() {
    long now = clock.millis();
    if (now >= nextCheckMs) {
      synchronized (this) {
        if (now >= nextCheckMs) {
          refreshIfChanged();
          nextCheckMs = now + CHECK_INTERVAL_MS;
        }
      }
    }
    return current;
  }

  /** Forces a re-check now (tests, and after a 403 the caller may want fresh keys). */
  synchronized void refreshIfChanged() {
    String fp = fingerprint();
    if (fp.equals(fingerprint)) return;
    try {
      current = read();
      fingerprint = fp;
      LOG.info(
          "credentials in {} changed; using the new keys (accessKeyId {})",
          dir,
          OssCredentials.redact(current.getAccessKeyId()));
    } catch (IllegalArgumentException e) {
      LOG.warn(
          "credentials in {} changed but cannot be read yet ({}); keeping the previous keys",
          dir,
          e.getMessage());
    }
  }

  private String fingerprint() {
    List<String> parts = new ArrayList<>();
    for (String name : List.of(ID_FILE, SECRET_FILE, TOKEN_FILE)) {
      Path p = dir.resolve(name);
      try {
        Path real = p.toRealPath();
        BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
        parts.add(real + "@" + a.lastModifiedTime().toMillis() + "/" + a.size());
      } catch (IOException e) {
        parts.add(name + ":absent");
      }
    }
    return String.join("|", parts);
  }

  private Credentials read() {
    String id = readFile(ID_FILE, true);
    String secret = readFile(SECRET_FILE, true);
    String token = readFile(TOKEN_FILE, false);
    return new DefaultCredentials(id, secret, token);
  }

  private String readFile(String name, boolean required) {
    Path p = dir.resolve(name);
    try {
      String v = Files.readString(p, StandardCharsets.UTF_8).strip();
      if (v.isEmpty()) {
        if (!required) return null;
        throw new IllegalArgumentException("credentials file " + p + " is empty");
      }
      return v;
    } catch (NoSuchFileException e) {
      if (!required) return null;
      throw new IllegalArgumentException(
          "credentials file " + p + " is missing (need " + ID_FILE + " and " + SECRET_FILE + ")");
    } catch (AccessDeniedException e) {
      throw new IllegalArgumentException(
          "cannot read credentials file " + p + ": permission denied");
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read credentials file " + p + ": " + e.getMessage());
    }
  }

  @Override
  public String toString() {
    return "secretDir(" + dir + ")";
  }
}
