package io.ossfuse.fuse;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fuse.jnr.JnrOptionsAccess;
import java.util.List;
import org.junit.jupiter.api.Test;

class JnrOptionsTest {
  @Test
  void jnrOptionsAreReadOnlyCappedAndEscaped() {
    String o =
        JnrOptionsAccess.options(
            new FuseMountConfig("ossfuse:b/a,b", true, 1 << 20, null, null, null));
    List<String> parts = List.of(o.split("(?<!\\\\),"));
    assertTrue(parts.contains("ro"));
    assertTrue(parts.contains("fsname=ossfuse:b/a\\,b"), o);
    assertTrue(parts.contains("subtype=ossfuse"));
    assertTrue(parts.contains("max_read=131072"), "capped at libfuse 2.9's 128 KiB");
    assertTrue(parts.contains("allow_other"));
  }
}
