package io.ossfuse.recovery;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds the command line of the process that serves one mount (one child per mount). */
public interface ChildCommand {
  /**
   * @param spec the mount to serve
   * @param specFile the spec written as JSON, for children that read it ({@code FuseChildMain})
   */
  List<String> command(MountSpec spec, Path specFile);

  /**
   * As {@link #command}, with JVM options of this launch (the class archive, a cheaper JIT for a
   * standby of a crash storm); a child that is no JVM ignores them.
   */
  default List<String> command(MountSpec spec, Path specFile, List<String> jvmOptions) {
    return command(spec, specFile);
  }

  /** The class-data archive of this command's children, if it can have one. */
  default java.util.Optional<ClassArchive> classArchive() {
    return java.util.Optional.empty();
  }

  /** Variables set in the child's environment on top of the daemon's. */
  default Map<String, String> environment() {
    return Map.of();
  }

  /**
   * The JVM options of every FUSE child besides -Xmx. An OutOfMemoryError ends the child (the
   * watchdog restarts it cleanly). UTF-8 for file contents and names. C1 only: a child or standby
   * starts with about half the CPU (what decides whether a standby is warm before the next kill of
   * a crash storm), and a raw mount read 5 GiB cold as fast with fewer CPU-seconds per GiB than
   * with C2 (the data path is copies and system calls, not code C2 improves much).
   */
  List<String> CHILD_JVM_OPTIONS =
      List.of(
          "-XX:+ExitOnOutOfMemoryError",
          "-XX:TieredStopAtLevel=1",
          "-Dfile.encoding=UTF-8",
          "-Dsun.jnu.encoding=UTF-8");

  /**
   * The locale of java children. Java 17 ignores {@code -Dsun.jnu.encoding} and takes the file-name
   * encoding from the locale: under systemd's C/POSIX locale a non-ASCII name would become '?'.
   */
  Map<String, String> CHILD_ENVIRONMENT = Map.of("LC_ALL", "C.UTF-8");

  /**
   * {@code java -Xmx.. <CHILD_JVM_OPTIONS> -cp <the daemon's classpath>
   * io.ossfuse.recovery.FuseChildMain --spec FILE}.
   */
  static ChildCommand java(String javaBin, String classpath, String maxHeap) {
    return java(javaBin, classpath, maxHeap, null);
  }

  /**
   * As above; {@code readTimeout} (null: the child's default) goes to the child as {@code
   * OSSFUSE_READ_TIMEOUT}.
   */
  static ChildCommand java(
      String javaBin, String classpath, String maxHeap, java.time.Duration readTimeout) {
    return java(javaBin, classpath, maxHeap, readTimeout, null);
  }

  /** As above; children map {@code archive} once it exists (null: never). */
  static ChildCommand java(
      String javaBin,
      String classpath,
      String maxHeap,
      java.time.Duration readTimeout,
      ClassArchive archive) {
    Map<String, String> env = new java.util.HashMap<>(CHILD_ENVIRONMENT);
    if (readTimeout != null)
      env.put(io.ossfuse.mount.MountFactory.READ_TIMEOUT_ENV, readTimeout.toMillis() + "ms");
    Map<String, String> childEnv = Map.copyOf(env);
    return new ChildCommand() {
      @Override
      public List<String> command(MountSpec spec, Path specFile) {
        return command(spec, specFile, List.of());
      }

      @Override
      public List<String> command(MountSpec spec, Path specFile, List<String> jvmOptions) {
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx" + maxHeap));
        cmd.addAll(CHILD_JVM_OPTIONS);
        if (archive != null) cmd.addAll(archive.useOptions());
        cmd.addAll(jvmOptions);
        cmd.addAll(
            List.of(
                "-cp", classpath, FuseChildMain.class.getName(), "--spec", specFile.toString()));
        return List.copyOf(cmd);
      }

      @Override
      public java.util.Optional<ClassArchive> classArchive() {
        return java.util.Optional.ofNullable(archive);
      }

      @Override
      public Map<String, String> environment() {
        return childEnv;
      }
    };
  }

  /** {@code bindfs -f SOURCE MOUNTPOINT}: a real FUSE daemon in the foreground over a local dir. */
  static ChildCommand bindfs() {
    return (spec, specFile) ->
        List.of("bindfs", "-f", "-o", "ro", spec.source(), spec.mountpoint());
  }
}
