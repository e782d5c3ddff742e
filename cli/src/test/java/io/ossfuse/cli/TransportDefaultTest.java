package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ossfuse.mount.FuseTransports;
import org.junit.jupiter.api.Test;

/**
 * Without {@code --transport} a mount gets the faster raw transport as root, jnr-fuse otherwise.
 */
class TransportDefaultTest {
  @Test
  void rawAsRootUnlessAsked() {
    boolean root = "root".equals(System.getProperty("user.name"));
    assertEquals(root ? FuseTransports.RAW : FuseTransports.JNR, FuseTransports.defaultName());
    assertEquals(
        FuseTransports.defaultName(),
        PassthroughOptionTest.parse("oss://bkt", "/m", "--endpoint", "http://127.0.0.1:1", "-f")
            .transport());
    assertEquals(
        FuseTransports.JNR,
        PassthroughOptionTest.parse(
                "oss://bkt", "/m", "--endpoint", "http://127.0.0.1:1", "--transport", "jnr")
            .transport());
  }
}
