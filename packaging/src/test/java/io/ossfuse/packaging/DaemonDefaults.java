package io.ossfuse.packaging;

import io.ossfuse.recovery.DaemonConfig;

/**
 * The daemon's default host paths, taken from the daemon's own constants: the manifests, the unit
 * and the image must provide exactly these.
 */
final class DaemonDefaults {
  static final String CONTROL_SOCKET = DaemonConfig.DEFAULT_SOCKET.toString();
  static final String STATE_FILE = DaemonConfig.DEFAULT_STATE.toString();
  static final String ALLOWED_BIND_ROOT = DaemonConfig.DEFAULT_ALLOWED_ROOT.toString();
  static final String LOG_DIR = DaemonConfig.DEFAULT_LOG_DIR.toString();

  /**
   * Where the DaemonSet mounts datasets: a convention of the manifests and docs, not a daemon flag.
   */
  static final String MOUNT_ROOT = "/mnt/ossfuse";

  private DaemonDefaults() {}
}
