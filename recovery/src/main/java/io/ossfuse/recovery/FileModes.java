package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The daemon's file modes. The state file and the mount specs name endpoints and credential
 * directories: root only (0600 in 0700 directories). Child logs may be read by the admin group
 * (0640 in 0750). Directories get their mode only when the daemon creates them: an existing one is
 * the admin's choice.
 */
final class FileModes {
  static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
  static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> LOG_FILE = PosixFilePermissions.fromString("rw-r-----");
  static final Set<PosixFilePermission> LOG_DIR = PosixFilePermissions.fromString("rwxr-x---");

  private FileModes() {}

  /** Creates {@code dir} and missing parents with {@code mode}; leaves existing ones alone. */
  static Path createDirs(Path dir, Set<PosixFilePermission> mode) throws IOException {
    if (Files.isDirectory(dir)) return dir;
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null) createDirs(parent, mode);
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(mode));
      // mkdir applies the umask: set the mode exactly.
      Files.setPosixFilePermissions(dir, mode);
    } catch (java.nio.file.FileAlreadyExistsException raced) {
      if (!Files.isDirectory(dir)) throw raced;
    }
    return dir;
  }

  /** Writes {@code bytes} to {@code file} (0600, parents 0700 when created). */
  static void writePrivate(Path file, byte[] bytes) throws IOException {
    createDirs(file.getParent(), PRIVATE_DIR);
    ensureFile(file, PRIVATE_FILE);
    Files.write(file, bytes);
  }

  /**
   * Creates {@code file} empty with {@code mode} if missing, and gives an existing one that mode.
   */
  static void ensureFile(Path file, Set<PosixFilePermission> mode) throws IOException {
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(mode));
    } catch (java.nio.file.FileAlreadyExistsException exists) {
      // an older daemon may have made it 0644: tightened below
    }
    Files.setPosixFilePermissions(file, mode);
  }
}
