package io.ossfuse.fuse;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Kernel-facing mount settings shared by all transports.
 *
 * @param fsName shown as the source in mount tables, e.g. {@code ossfuse:bucket/dir}
 * @param allowOther let users other than the mounter access the mount
 * @param maxRead largest read request wanted, in bytes (a transport may cap it)
 * @param attrTimeout how long the kernel caches attributes and entries
 * @param extraOptions further {@code -o} options passed through verbatim
 */
public record FuseMountConfig(
    String fsName,
    boolean allowOther,
    int maxRead,
    Duration attrTimeout,
    Duration negativeTimeout,
    List<String> extraOptions) {
  public static final String SUBTYPE = "ossfuse";

  public FuseMountConfig {
    Objects.requireNonNull(fsName, "fsName");
    if (maxRead <= 0) throw new IllegalArgumentException("maxRead must be > 0");
    if (attrTimeout == null) attrTimeout = Duration.ofSeconds(1);
    if (negativeTimeout == null) negativeTimeout = Duration.ZERO;
    extraOptions = extraOptions == null ? List.of() : List.copyOf(extraOptions);
  }

  public static FuseMountConfig of(String fsName, boolean allowOther) {
    return new FuseMountConfig(fsName, allowOther, 1 << 20, null, null, null);
  }
}
