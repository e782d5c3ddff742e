package io.ossfuse.mount;

import io.ossfuse.fuse.FuseTransport;
import io.ossfuse.fuse.dev.LibC;
import io.ossfuse.fuse.jnr.JnrFuseTransport;
import io.ossfuse.fuse.raw.RawMountTransport;
import java.util.List;

/**
 * Creates a transport by name; the place to register a new one. It lives in {@code mount}, not in
 * {@code fuse}, so that {@code fuse} does not depend on its own sub-packages (a package cycle).
 */
public final class FuseTransports {
  public static final String JNR = "jnr";

  /** The kernel protocol spoken directly (1 MiB requests); root only. */
  public static final String RAW = "raw";

  private FuseTransports() {}

  /**
   * The transport a mount gets when none is asked for: raw as root (it mounts with mount(2) and
   * serves 1 MiB requests; a daemon can keep its connection), else jnr-fuse (fusermount works for
   * other users).
   */
  public static String defaultName() {
    return LibC.get().geteuid() == 0 ? RAW : JNR;
  }

  /** The transport names this build knows. */
  public static List<String> names() {
    return List.of(JNR, RAW);
  }

  public static FuseTransport create(String name) {
    return switch (name) {
      case JNR -> new JnrFuseTransport();
      case RAW -> new RawMountTransport();
      default ->
          throw new IllegalArgumentException(
              "unknown transport '" + name + "': use one of " + names());
    };
  }
}
