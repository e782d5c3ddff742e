package io.ossfuse.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes a credentials directory in the layout {@code --cred-dir} reads. */
final class CredFiles {
  private CredFiles() {}

  static void write(Path dir, String accessKeyId, String accessKeySecret) throws IOException {
    Files.createDirectories(dir);
    write(dir.resolve("fs.oss.accessKeyId"), accessKeyId);
    write(dir.resolve("fs.oss.accessKeySecret"), accessKeySecret);
  }

  private static void write(Path file, String value) throws IOException {
    Files.writeString(file, value + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }
}
