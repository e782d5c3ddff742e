package io.ossfuse.recovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/** The whole state file: every mount and every bound target. */
@JsonIgnoreProperties(ignoreUnknown = true)
record DaemonState(int version, List<MountRecord> mounts) {
  static final int VERSION = 1;

  DaemonState {
    mounts = mounts == null ? List.of() : List.copyOf(mounts);
  }

  static DaemonState empty() {
    return new DaemonState(VERSION, List.of());
  }
}
