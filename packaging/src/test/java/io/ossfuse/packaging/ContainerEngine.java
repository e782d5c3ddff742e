package io.ossfuse.packaging;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import org.testcontainers.DockerClientFactory;

/**
 * Decides whether container tests can run. Without a Docker API they are skipped with a message
 * saying how to get one; when the build asked for them ({@code -Dossfuse.container.required=true},
 * set by scripts/test after scripts/setup-podman succeeded) a missing engine fails instead.
 */
final class ContainerEngine {
  private static boolean warned;

  private ContainerEngine() {}

  static synchronized void require() {
    String problem = problem();
    if (problem == null) {
      return;
    }
    String message =
        "container tests cannot run: "
            + problem
            + "; run scripts/setup-podman (as root) and export the variables it prints";
    if (Boolean.getBoolean("ossfuse.container.required")) {
      fail(message);
    }
    if (!warned) {
      warned = true;
      // Surefire shows skips only as a count; say why where people look.
      System.err.println("[WARNING] ossfuse container tests SKIPPED: " + message);
    }
    abort("SKIPPED: " + message);
  }

  private static String problem() {
    String dockerHost = System.getenv("DOCKER_HOST");
    if (dockerHost == null || dockerHost.isBlank()) {
      return "DOCKER_HOST is not set";
    }
    if (!"true".equalsIgnoreCase(System.getenv("TESTCONTAINERS_RYUK_DISABLED"))) {
      // Ryuk's image would be pulled from a registry, and there is none here.
      return "TESTCONTAINERS_RYUK_DISABLED is not true";
    }
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      return "no Docker API answers at " + dockerHost;
    }
    return null;
  }
}
