package io.ossfuse.mount;

import io.ossfuse.oss.OssUri;
import io.ossfuse.oss.SignatureVersion;

/**
 * One OSS source of a mount that serves several, shown as the directory {@code name} at the mount's
 * root (a Fluid Dataset with several {@code mounts[]} entries). Each has its own bucket, endpoint
 * and credentials. Holds no secrets, like {@link MountOptions}.
 *
 * @param name the directory at the root: one path segment
 * @param source {@code oss://bucket[/dir]}
 * @param endpoint {@code fs.oss.endpoint}
 * @param credDir the key files' directory; null = the environment (keys, RRSA, ECS role)
 * @param signatureVersion V1 (default) or V4
 * @param region the region for V4, else null
 */
public record MountSource(
    String name,
    String source,
    String endpoint,
    String credDir,
    SignatureVersion signatureVersion,
    String region) {
  public MountSource {
    if (name == null
        || name.isEmpty()
        || name.equals(".")
        || name.equals("..")
        || name.contains("/")
        || name.contains("\0")) {
      throw new IllegalArgumentException(
          "source name '" + name + "' must be one directory name (no '/', not . or ..)");
    }
    OssUri.parse(source); // one-line message when malformed
    if (endpoint == null || endpoint.isBlank()) {
      throw new IllegalArgumentException("source '" + name + "' has no endpoint (fs.oss.endpoint)");
    }
    if (signatureVersion == null) signatureVersion = SignatureVersion.V1;
    if (signatureVersion == SignatureVersion.V4 && (region == null || region.isBlank())) {
      throw new IllegalArgumentException(
          "source '" + name + "': signature V4 needs a region (fs.oss.region)");
    }
  }

  /** The options of a mount of this source alone (for credentials, the probe and its messages). */
  MountOptions alone(MountOptions of) {
    return of.toBuilder(source, endpoint)
        .credDir(credDir)
        .signatureVersion(signatureVersion)
        .region(region)
        .sources(java.util.List.of())
        .build();
  }
}
