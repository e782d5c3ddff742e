package io.ossfuse.recovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What {@code ossfuse status} shows for one mount. No options and no secrets: only the source, the
 * mountpoint and runtime facts.
 *
 * @param standbyPid a pre-started child waiting to take over (raw transport), if any
 * @param standbyReady whether that standby is warmed up and waits (it said so); null without one
 * @param uptimeMs time since the current child became healthy (0 if it is not)
 * @param restarts children started after a failure since the daemon started
 * @param lastCrash e.g. {@code "child 1234: SIGKILL"}, {@code "child 1234 hung: stat timed out"}
 * @param lastRecoveryMs failure detected → new child healthy and targets re-attached
 * @param detail e.g. {@code "retrying in 4000 ms"} while FAILED
 * @param stats data path (from the live child) and recovery history at a glance
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record MountStatus(
    String source,
    String mountpoint,
    String transport,
    String driver,
    MountState state,
    Long childPid,
    Long standbyPid,
    Boolean standbyReady,
    long uptimeMs,
    int restarts,
    String lastCrash,
    Long lastRecoveryMs,
    String detail,
    List<TargetStatus> targets,
    MountStats stats) {

  /**
   * One bound target and whether it currently shows the live mount; {@code adopted}: a bind someone
   * else made (Fluid's CSI, the kubelet) that the daemon found in the mount table and heals too.
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record TargetStatus(String target, String subPath, boolean healthy, boolean adopted) {}
}
