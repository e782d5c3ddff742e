package io.ossfuse.recovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One request line on the control socket. Operations and their fields:
 *
 * <ul>
 *   <li>{@code mount}: {@code spec}
 *   <li>{@code umount}: {@code path} (the mountpoint), {@code force} (unbind targets first)
 *   <li>{@code bind}: {@code path} ({@code /mountpoint} or {@code /mountpoint/subdir}), {@code
 *       target}
 *   <li>{@code unbind}: {@code target}
 *   <li>{@code status}: nothing
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ControlRequest(String op, MountSpec spec, String path, String target, boolean force) {
  public static ControlRequest mount(MountSpec spec) {
    return new ControlRequest("mount", spec, null, null, false);
  }

  public static ControlRequest umount(String mountpoint, boolean force) {
    return new ControlRequest("umount", null, mountpoint, null, force);
  }

  public static ControlRequest bind(String path, String target) {
    return new ControlRequest("bind", null, path, target, false);
  }

  public static ControlRequest unbind(String target) {
    return new ControlRequest("unbind", null, null, target, false);
  }

  public static ControlRequest status() {
    return new ControlRequest("status", null, null, null, false);
  }
}
