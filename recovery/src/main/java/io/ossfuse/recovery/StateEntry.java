package io.ossfuse.recovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ossfuse.mount.MountOptions;

/**
 * Reads one mount entry of the state file and checks everything its supervisor relies on, so a bad
 * entry is refused here, with a reason, instead of failing the daemon's start (a null spec, a
 * relative path, mount options that do not parse, a pid that cannot be a child).
 */
final class StateEntry {
  private StateEntry() {}

  /** The entry as a record; IllegalArgumentException with a one-line reason when it is unusable. */
  static MountRecord parse(JsonNode node, ObjectMapper json) {
    if (node == null || !node.isObject()) throw new IllegalArgumentException("not a JSON object");
    JsonNode spec = node.get("spec");
    if (spec == null || !spec.isObject()) throw new IllegalArgumentException("no mount spec");
    for (JsonNode t : node.path("targets")) {
      if (!t.isObject())
        throw new IllegalArgumentException("bind target " + t + " is not a JSON object");
    }
    MountRecord r;
    try {
      r = json.treeToValue(node, MountRecord.class);
    } catch (Exception e) {
      throw new IllegalArgumentException(reason(e));
    }
    if (r == null || r.spec() == null) throw new IllegalArgumentException("no mount spec");
    if (MountSpec.DRIVER_OSSFUSE.equals(r.spec().driver())) {
      MountOptions.fromJson(r.spec().options().toString()); // throws with a one-line reason
    }
    checkPid(r.childPid(), "childPid");
    checkPid(r.standbyPid(), "standbyPid");
    return r;
  }

  /**
   * Best-effort mountpoint of a (possibly broken) entry, for the log line; "?" if there is none.
   */
  static String mountpointOf(JsonNode node) {
    JsonNode mp = node == null ? null : node.path("spec").get("mountpoint");
    return mp != null && mp.isTextual() ? mp.asText() : "?";
  }

  private static void checkPid(Long pid, String field) {
    // pid 1 is init, never a child of this daemon.
    if (pid != null && pid <= 1)
      throw new IllegalArgumentException(field + " " + pid + " is not a process id");
  }

  /** The innermost message (e.g. MountSpec's own check), first line only. */
  private static String reason(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) c = c.getCause();
    String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    return m.lines().findFirst().orElse(m);
  }
}
