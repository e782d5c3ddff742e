package io.ossfuse.oss;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every test of {@link SlowEndpointTest} with object bodies through the SDK's getObject (the https
 * path).
 */
class SlowEndpointSdkBodiesTest extends SlowEndpointTest {
  @BeforeAll
  static void throughTheSdk() {
    leanBodies = false;
  }

  @AfterAll
  static void backToTheLeanPath() {
    leanBodies = true;
  }
}
