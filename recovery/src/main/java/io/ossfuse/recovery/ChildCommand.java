package io.ossfuse.recovery;

import java.nio.file.Path;
import java.util.List;

/** Builds the command line of the process that serves one mount (one child per mount). */
public interface ChildCommand {
  /**
   * @param spec     the mount to serve
   * @param specFile the spec written as JSON, for children that read it ({@code FuseChildMain})
   */
  List<String> command(MountSpec spec, Path specFile);

  /** {@code java -Xmx.. -cp <the daemon's classpath> io.ossfuse.recovery.FuseChildMain --spec FILE}. */
  static ChildCommand java(String javaBin, String classpath, String maxHeap) {
    return (spec, specFile) -> List.of(javaBin, "-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError",
        "-cp", classpath, FuseChildMain.class.getName(), "--spec", specFile.toString());
  }

  /** {@code bindfs -f SOURCE MOUNTPOINT}: a real FUSE daemon in the foreground over a local dir. */
  static ChildCommand bindfs() {
    return (spec, specFile) -> List.of("bindfs", "-f", "-o", "ro", spec.source(), spec.mountpoint());
  }
}
