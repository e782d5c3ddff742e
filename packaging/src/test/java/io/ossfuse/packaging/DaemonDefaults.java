package io.ossfuse.packaging;

/**
 * The daemon's default host paths, as the manifests, the unit and the image must provide them.
 * TODO(ops): read these from the recovery/cli constants once `ossfuse daemon` lands in main.
 */
final class DaemonDefaults {
    static final String CONTROL_SOCKET = "/run/ossfuse/ossfuse.sock";
    static final String STATE_FILE = "/var/lib/ossfuse/state.json";
    static final String ALLOWED_BIND_ROOT = "/var/lib/kubelet/pods";
    static final String LOG_DIR = "/var/log/ossfuse";
    /** Where the DaemonSet mounts datasets (a convention of the manifests, not a daemon flag). */
    static final String MOUNT_ROOT = "/mnt/ossfuse";

    private DaemonDefaults() {
    }
}
