package io.ossfuse.recovery;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Set;

/**
 * What the daemon needs to (re)start one mount: kept in the state file and handed to each child.
 *
 * @param source {@code oss://bucket/dir} for the {@code ossfuse} driver, a local directory for
 *     {@code bindfs}
 * @param mountpoint absolute, normalised path of the FUSE mount; the mount's identity
 * @param transport {@code raw} or {@code jnr} (ossfuse driver; default: the options' transport)
 * @param driver {@code ossfuse} (a {@code FuseChildMain} JVM) or {@code bindfs} (a real FUSE daemon
 *     over a local directory; used by tests and to debug the watchdog)
 * @param options the serialised {@code io.ossfuse.mount.MountOptions} the child builds its mount
 *     from (ossfuse driver); never printed (it names credential files)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record MountSpec(
    String source, String mountpoint, String transport, String driver, JsonNode options) {
  public static final String DRIVER_OSSFUSE = "ossfuse";
  public static final String DRIVER_BINDFS = "bindfs";

  /** The daemon holds the /dev/fuse connection; children take it over (seamless recovery). */
  public static final String TRANSPORT_RAW = "raw";

  private static final Set<String> DRIVERS = Set.of(DRIVER_OSSFUSE, DRIVER_BINDFS);

  public MountSpec {
    if (source == null || source.isBlank()) {
      throw new IllegalArgumentException("mount source is missing: give oss://bucket/dir");
    }
    if (mountpoint == null || !Path.of(mountpoint).isAbsolute()) {
      throw new IllegalArgumentException(
          "mountpoint '" + mountpoint + "' must be an absolute path");
    }
    mountpoint = Path.of(mountpoint).normalize().toString();
    if (driver == null) driver = DRIVER_OSSFUSE;
    if (!DRIVERS.contains(driver)) {
      throw new IllegalArgumentException(
          "driver '" + driver + "' is unknown: use one of " + DRIVERS);
    }
    if (transport == null) {
      transport =
          DRIVER_BINDFS.equals(driver)
              ? "bindfs"
              : options != null && options.hasNonNull("transport")
                  ? options.get("transport").asText()
                  : "jnr";
    }
    if (driver.equals(DRIVER_OSSFUSE) && options == null) {
      throw new IllegalArgumentException("mount of " + source + " has no mount options");
    }
    if (driver.equals(DRIVER_BINDFS) && !Path.of(source).isAbsolute()) {
      throw new IllegalArgumentException(
          "bindfs source '" + source + "' must be an absolute directory");
    }
  }

  public Path mountpointPath() {
    return Path.of(mountpoint);
  }

  /** A file-name-safe id derived from the mountpoint (for the spec and log file names). */
  public String id() {
    String slug = mountpoint.replaceAll("[^A-Za-z0-9._-]", "_").replaceAll("^_+", "");
    if (slug.length() > 60) slug = slug.substring(slug.length() - 60);
    return slug + "-" + Integer.toHexString(mountpoint.hashCode());
  }
}
