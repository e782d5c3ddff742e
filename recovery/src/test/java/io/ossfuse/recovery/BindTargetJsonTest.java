package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The state file's targets: an adopted one says so; a bound one is written as before adoption
 * existed.
 */
class BindTargetJsonTest {
  @Test
  void olderStateFilesReadAsBoundAndBoundTargetsAreWrittenAsBefore() throws Exception {
    BindTarget old =
        Json.mapper()
            .readValue("{\"target\":\"/pods/a/vol\",\"subPath\":\"sub\"}", BindTarget.class);
    assertEquals(new BindTarget("/pods/a/vol", "sub"), old);
    assertFalse(old.adopted());
    assertEquals(
        "{\"target\":\"/pods/a/vol\",\"subPath\":\"sub\"}", Json.mapper().writeValueAsString(old));
  }

  @Test
  void anAdoptedTargetRoundTrips() throws Exception {
    String json = Json.mapper().writeValueAsString(new BindTarget("/pods/b/vol", "", true));
    assertTrue(json.contains("\"adopted\":true"), json);
    assertTrue(Json.mapper().readValue(json, BindTarget.class).adopted());
  }
}
