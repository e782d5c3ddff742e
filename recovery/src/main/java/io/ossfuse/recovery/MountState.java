package io.ossfuse.recovery;

/**
 * The lifecycle of one mount under the daemon.
 *
 * <pre>
 *   STARTING ──positive probe──▶ HEALTHY ──child died / probe failed──▶ RECOVERING ──positive probe──▶ HEALTHY
 *                                                                    └─ repeated fast failure ─▶ FAILED ──retry healthy──▶ HEALTHY
 *                                                                       (backing off and retrying forever; stays FAILED through retries)
 *   any ──umount──▶ STOPPED
 * </pre>
 *
 * HEALTHY is entered only after a positive probe (FUSE mount present and a stat of its root
 * answered).
 */
public enum MountState {
  STARTING,
  HEALTHY,
  RECOVERING,
  FAILED,
  STOPPED
}
