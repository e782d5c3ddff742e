package io.ossfuse.oss;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every test of {@link OssObjectStoreTest} with object bodies through the SDK's getObject (the
 * https path).
 */
class OssObjectStoreSdkBodiesTest extends OssObjectStoreTest {
  @BeforeAll
  static void throughTheSdk() {
    leanBodies = false;
  }

  @AfterAll
  static void backToTheLeanPath() {
    leanBodies = true;
  }
}
