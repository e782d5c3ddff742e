package io.ossfuse.packaging;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.images.builder.dockerfile.statement.MultiArgsStatement;
import org.testcontainers.images.builder.dockerfile.statement.SingleArgumentStatement;

/**
 * The product image built from the project's Dockerfile over the built distribution, once per test
 * JVM. Images are kept after the run (deleteOnExit=false) so the next build reuses the cached apt
 * layers; scripts/setup-podman prunes the ones a rebuild untagged.
 */
final class ProductImage {
  private static final Logger LOG = LoggerFactory.getLogger(ProductImage.class);
  private static String product;
  private static String withSystemd;

  private ProductImage() {}

  /**
   * localhost/ossfuse-it:&lt;version&gt;-&lt;checkout hash&gt;, built from docker/Dockerfile of the
   * distribution.
   */
  static synchronized String product() {
    if (product == null) {
      long start = System.nanoTime();
      product =
          new ImageFromDockerfile("localhost/ossfuse-it:" + tag(), false)
              .withFileFromPath(".", Project.distDir())
              .withDockerfilePath("docker/Dockerfile")
              .get();
      LOG.info("image {} built in {} ms", product, (System.nanoTime() - start) / 1_000_000);
    }
    return product;
  }

  /**
   * The product image with systemd as PID 1, to run the shipped unit under a real systemd (podman
   * runs a container whose command ends in "systemd" in systemd mode).
   */
  static synchronized String withSystemd() {
    if (withSystemd == null) {
      String base = product();
      long start = System.nanoTime();
      withSystemd =
          new ImageFromDockerfile("localhost/ossfuse-it-systemd:" + tag(), false)
              .withDockerfileFromBuilder(
                  b ->
                      b.from(base)
                          .run(
                              "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y"
                                  + " --no-install-recommends systemd systemd-sysv && rm -rf /var/lib/apt/lists/*")
                          .run("mkdir -p /etc/ossfuse")
                          // systemd stops on SIGRTMIN+3, not SIGTERM
                          .withStatement(new SingleArgumentStatement("STOPSIGNAL", "SIGRTMIN+3"))
                          // exec form: systemd must be PID 1, and podman enables systemd mode by
                          // the name
                          .withStatement(
                              new MultiArgsStatement("ENTRYPOINT", "/lib/systemd/systemd"))
                          .build())
              .get();
      LOG.info("image {} built in {} ms", withSystemd, (System.nanoTime() - start) / 1_000_000);
    }
    return withSystemd;
  }

  /** Version plus a hash of the checkout: concurrent runs from two worktrees never share a tag. */
  private static String tag() {
    return Project.version().toLowerCase(Locale.ROOT)
        + "-"
        + Integer.toHexString(Project.packagingDir().toString().hashCode());
  }
}
