package io.ossfuse.packaging;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the sources and the built distribution are; surefire passes the locations (see pom.xml).
 */
final class Project {
  private Project() {}

  /** The packaging module's directory (sources of the unit, Dockerfile, manifests). */
  static Path packagingDir() {
    return Path.of(System.getProperty("ossfuse.packaging.dir", ".")).toAbsolutePath().normalize();
  }

  static Path distSources() {
    return packagingDir().resolve("src/dist");
  }

  static Path unit() {
    return distSources().resolve("systemd/ossfuse.service");
  }

  static Path dockerfile() {
    return packagingDir().resolve("src/main/docker/Dockerfile");
  }

  static Path k8s(String file) {
    return packagingDir().resolve("k8s").resolve(file);
  }

  static String version() {
    return required("ossfuse.version");
  }

  /** The unpacked distribution; exists after `package` (tests needing it are *IT). */
  static Path distDir() {
    Path dir = Path.of(required("ossfuse.dist.dir"));
    if (!Files.isDirectory(dir.resolve("lib"))) {
      throw new IllegalStateException("no distribution at " + dir + "; run `mvn package` first");
    }
    return dir;
  }

  static Path tarball() {
    return Path.of(required("ossfuse.dist.tarball"));
  }

  private static String required(String property) {
    String value = System.getProperty(property);
    if (value == null) {
      throw new IllegalStateException(
          "system property " + property + " is not set; run the test through Maven");
    }
    return value;
  }
}
