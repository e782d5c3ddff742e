package io.ossfuse.recovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One mount in the state file: its spec, its bound targets, and the child last known to serve it
 * (pid + start time, so a restarted daemon can adopt a child that is still serving, and never kill
 * an unrelated process that reused the pid); the connection's session (daemon-held connections); a
 * standby child that a restarted daemon must stop; and since when the child has served (an instant,
 * so an adopted child's uptime goes on).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
record MountRecord(
    MountSpec spec,
    List<BindTarget> targets,
    Long childPid,
    String childStart,
    String session,
    Long standbyPid,
    String standbyStart,
    String healthySince) {
  MountRecord(MountSpec spec, List<BindTarget> targets, Long childPid, String childStart) {
    this(spec, targets, childPid, childStart, null, null, null, null);
  }

  MountRecord {
    targets = targets == null ? List.of() : List.copyOf(targets);
  }
}
