package io.ossfuse.recovery;

import java.nio.file.Path;

/**
 * What the metrics endpoint needs to know about one supervised mount. Built from the daemon's
 * status; carries no options (they name credential files).
 *
 * @param state a {@link MountState} name
 * @param childPid the live child, null when none (no data-path numbers then)
 * @param statsFile where that child writes its {@link io.ossfuse.stats.StatsSnapshot}
 */
public record MountView(
    String mountpoint,
    String source,
    String transport,
    String driver,
    String state,
    Long childPid,
    long uptimeMs,
    int restarts,
    Path statsFile) {}
