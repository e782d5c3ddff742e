package io.ossfuse.recovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.nio.file.Path;

/**
 * A recorded bind of a mount (or a subdirectory of it: a Kubernetes subPath) onto a target path.
 *
 * @param target  absolute path under the daemon's allowed root (a pod volume path)
 * @param subPath relative directory inside the mount, {@code ""} for the mount root
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BindTarget(String target, String subPath) {
  public BindTarget {
    if (target == null || !Path.of(target).isAbsolute()) {
      throw new IllegalArgumentException("bind target '" + target + "' must be an absolute path");
    }
    if (subPath == null) subPath = "";
  }

  public Path targetPath() {
    return Path.of(target);
  }

  /** The directory that gets bound: the mountpoint itself or its subPath. */
  Path sourceIn(Path mountpoint) {
    return subPath.isEmpty() ? mountpoint : mountpoint.resolve(subPath);
  }

  /** What mountinfo shows as the root of a healthy bind of this target. */
  String expectedRoot() {
    return subPath.isEmpty() ? "/" : "/" + subPath;
  }
}
