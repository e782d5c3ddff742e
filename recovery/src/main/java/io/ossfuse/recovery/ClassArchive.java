package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The class-data archive (AppCDS) of FUSE children: the classes a child loads up to serving, parsed
 * and verified once and mapped by every later child, so a child or standby starts with less CPU —
 * what decides whether a standby is warm again before the next kill of a crash storm on a small
 * node. Written once per JVM and classpath by a training child (a standby's warm-up that then
 * exits), kept next to the state file; a JVM that cannot use it ignores it.
 */
final class ClassArchive {
  private static final Logger log = LoggerFactory.getLogger(ClassArchive.class);

  /** Set in a training child: warm up like a standby, then exit (the JVM writes the archive). */
  static final String ENV_TRAINING = "OSSFUSE_CLASS_ARCHIVE_TRAINING";

  private static final String PREFIX = "child-";
  private static final long TRAINING_TIMEOUT_S = 180;

  /**
   * Set by bin/ossfuse to the installation's archive it mapped (or "off"): children map that one
   * until their own is written.
   */
  static final String ENV_LAUNCHER_ARCHIVE = "OSSFUSE_CLASS_ARCHIVE";

  private final Path file;
  private final boolean usable;
  private final Path launcherArchive;
  private final AtomicBoolean training = new AtomicBoolean();

  private ClassArchive(Path file, boolean usable, Path launcherArchive) {
    this.file = file;
    this.usable = usable;
    this.launcherArchive = launcherArchive;
  }

  /**
   * The archive for children of {@code javaBin} with {@code classpath}, in {@code dir}. Unusable
   * (no option, no training) when the classpath holds anything but jar files (a build tree: the JVM
   * archives classes from jars only).
   */
  static ClassArchive in(Path dir, String javaBin, String classpath) {
    return in(dir, javaBin, classpath, System.getenv(ENV_LAUNCHER_ARCHIVE));
  }

  /** As above; {@code launcherArchive}: the value of {@link #ENV_LAUNCHER_ARCHIVE} (or null). */
  static ClassArchive in(Path dir, String javaBin, String classpath, String launcherArchive) {
    List<String> entries = List.of(classpath.split(java.io.File.pathSeparator));
    boolean jarsOnly =
        !entries.isEmpty()
            && entries.stream()
                .allMatch(e -> e.endsWith(".jar") && Files.isRegularFile(Path.of(e)));
    Path launcher =
        launcherArchive == null || launcherArchive.isEmpty() || launcherArchive.equals("off")
            ? null
            : Path.of(launcherArchive);
    return new ClassArchive(
        dir.resolve(PREFIX + key(javaBin, classpath, entries) + ".jsa"), jarsOnly, launcher);
  }

  /**
   * The JVM options that make a child map the archive: the children's own, else the installation's
   * that bin/ossfuse mapped (same jars, trained on a local mount); none before either exists.
   */
  List<String> useOptions() {
    if (!usable) return List.of();
    if (Files.isRegularFile(file)) return mapping(file);
    if (launcherArchive != null && Files.isRegularFile(launcherArchive))
      return mapping(launcherArchive);
    return List.of();
  }

  /**
   * -Xshare:auto (the default): an archive this JVM rejects is ignored and the child starts as
   * without, after the JVM's one warning line ("Unable to use shared archive").
   */
  private static List<String> mapping(Path archive) {
    return List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off");
  }

  /**
   * Writes the archive in the background if it is missing, once per daemon: {@code training} makes
   * the process of a child that warms up and exits, given its extra JVM options and environment.
   */
  void trainIfMissing(Training training, String mountpoint) {
    if (!usable || Files.isRegularFile(file) || !this.training.compareAndSet(false, true)) return;
    Thread t = new Thread(() -> train(training, mountpoint), "class-archive");
    t.setDaemon(true);
    t.start();
  }

  /** Builds a training child's process from the mount's own child command. */
  interface Training {
    ProcessBuilder process(List<String> jvmOptions, java.util.Map<String, String> environment)
        throws IOException;
  }

  private void train(Training training, String mountpoint) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    long t0 = System.nanoTime();
    Process p = null;
    try {
      Files.createDirectories(file.getParent());
      Files.deleteIfExists(tmp);
      p =
          training
              .process(
                  List.of(
                      "-XX:ArchiveClassesAtExit=" + tmp, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"),
                  java.util.Map.of(ENV_TRAINING, "1"))
              .start();
      if (!p.waitFor(TRAINING_TIMEOUT_S, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        log.warn(
            "class archive for FUSE children not written: the training child ran over {} s; children start without it",
            TRAINING_TIMEOUT_S);
        return;
      }
      if (p.exitValue() != 0 || !Files.isRegularFile(tmp)) {
        log.warn(
            "class archive for FUSE children not written (training child for {}: exit {}, see its log); children start without it",
            mountpoint,
            p.exitValue());
        return;
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      removeOthers();
      log.info(
          "class archive for FUSE children written ({} MiB in {} ms): {}",
          Files.size(file) >> 20,
          (System.nanoTime() - t0) / 1_000_000,
          file);
    } catch (IOException e) {
      log.warn(
          "class archive for FUSE children not written ({}); children start without it",
          e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (p != null && p.isAlive()) p.destroyForcibly();
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // a leftover temp file is replaced by the next training
      }
    }
  }

  /** Archives of other JVMs or builds (an upgrade) are never used again. */
  private void removeOthers() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(file.getParent(), PREFIX + "*.jsa*")) {
      for (Path p : ds) {
        if (!p.equals(file) && !p.getFileName().toString().contains(".tmp-"))
          Files.deleteIfExists(p);
      }
    }
  }

  /** Same JVM, same jars (paths, sizes, times): same archive; anything else gets its own. */
  private static String key(String javaBin, String classpath, List<String> entries) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(
          (javaBin + '\0' + System.getProperty("java.vm.version") + '\0' + classpath)
              .getBytes(StandardCharsets.UTF_8));
      for (String e : entries) {
        Optional<String> stamp = stamp(Path.of(e));
        d.update(stamp.orElse("-").getBytes(StandardCharsets.UTF_8));
      }
      d.update(stamp(realPath(javaBin)).orElse("-").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JVM has SHA-256
    }
  }

  private static Path realPath(String p) {
    try {
      return Path.of(p).toRealPath();
    } catch (IOException e) {
      return Path.of(p);
    }
  }

  private static Optional<String> stamp(Path p) {
    try {
      return Optional.of(Files.size(p) + "@" + Files.getLastModifiedTime(p).toMillis());
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
