package io.ossfuse.recovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.file.Path;

/**
 * A recorded bind of a mount (or a subdirectory of it: a Kubernetes subPath) onto a target path.
 *
 * @param target absolute path under the daemon's allowed root (a pod volume path)
 * @param subPath relative directory inside the mount, {@code ""} for the mount root
 * @param adopted made by someone else (Fluid's CSI, the kubelet) and adopted from the mount table
 *     ({@link BindAdopter}); false for {@code ossfuse bind}. Written only when true, so state files
 *     stay as before for bound targets, and older files read as not adopted.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BindTarget(
    String target, String subPath, @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean adopted) {
  public BindTarget {
    if (target == null || !Path.of(target).isAbsolute()) {
      throw new IllegalArgumentException("bind target '" + target + "' must be an absolute path");
    }
    if (subPath == null) subPath = "";
  }

  /** A target of {@code ossfuse bind}. */
  public BindTarget(String target, String subPath) {
    this(target, subPath, false);
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
