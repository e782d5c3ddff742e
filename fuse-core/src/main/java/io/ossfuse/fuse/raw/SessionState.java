package io.ossfuse.fuse.raw;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What a serving child needs to know about the connection it serves across generations.
 *
 * @param stateDir a directory private to this mount; the transport keeps {@code
 *     fuse-init.properties} there (the negotiated INIT parameters, written atomically before INIT
 *     is answered)
 * @param sessionId unique per mount ({@code FuseDevice.sessionId()}); a saved INIT record with the
 *     same id means "this connection is already initialized: take over"
 */
public record SessionState(Path stateDir, String sessionId) {
  public static final String ENV_STATE_DIR = "OSSFUSE_FUSE_STATE_DIR";
  public static final String ENV_SESSION = "OSSFUSE_FUSE_SESSION";

  public SessionState {
    Objects.requireNonNull(stateDir, "stateDir");
    stateDir = stateDir.toAbsolutePath();
    if (sessionId == null || sessionId.isBlank() || !sessionId.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "sessionId '"
              + sessionId
              + "' must be non-empty letters, digits, '.', '_' or '-' (use FuseDevice.sessionId())");
    }
  }

  /** Environment entries that carry this state to a child ({@link #fromEnvironment}). */
  public Map<String, String> environment() {
    return Map.of(ENV_STATE_DIR, stateDir.toString(), ENV_SESSION, sessionId);
  }

  /** Reads the state from a child's environment; one clear message when it is missing. */
  public static SessionState fromEnvironment(Map<String, String> env) {
    String dir = env.get(ENV_STATE_DIR);
    String session = env.get(ENV_SESSION);
    if (dir == null || session == null) {
      throw new IllegalArgumentException(
          ENV_STATE_DIR
              + " and "
              + ENV_SESSION
              + " must be set by the process that owns the FUSE fd (SessionState.environment())");
    }
    return new SessionState(Path.of(dir), session);
  }
}
