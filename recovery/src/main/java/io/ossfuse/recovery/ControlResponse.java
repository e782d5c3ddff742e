package io.ossfuse.recovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One response line: {@code ok} with a message (and the mounts for status), or a one-line error.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ControlResponse(boolean ok, String message, String error, List<MountStatus> mounts) {
  public static ControlResponse success(String message) {
    return new ControlResponse(true, message, null, null);
  }

  public static ControlResponse failure(String error) {
    return new ControlResponse(false, null, error, null);
  }

  public static ControlResponse status(List<MountStatus> mounts) {
    return new ControlResponse(true, null, null, mounts);
  }
}
