package io.ossfuse.mount;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.oss.BodyTimeouts;
import io.ossfuse.oss.SignatureVersion;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MountOptionsTest {
  @Test
  void roundTripsThroughJson() {
    MountOptions o =
        MountOptions.builder("oss://bkt/data/set", "/mnt/x", "http://127.0.0.1:9000")
            .credDir("/etc/oss")
            .uid(1000)
            .gid(1001)
            .umask(027)
            .allowOther(true)
            .tieredstore("/etc/t.yaml")
            .metadataTtlMillis(60_000)
            .negativeTtlMillis(1000)
            .signatureVersion(SignatureVersion.V4)
            .region("cn-hangzhou")
            .stateDir("/var/lib/ossfuse/x")
            .transport("jnr")
            .readTimeoutMillis(12_500)
            .build();
    String json = o.toJson();
    assertEquals(o, MountOptions.fromJson(json));
    assertTrue(json.contains("\"source\":\"oss://bkt/data/set\""), json);
  }

  @Test
  void defaultsAreFilledAndUnknownFieldsIgnored() {
    MountOptions o =
        MountOptions.fromJson(
            "{\"source\":\"oss://bkt\",\"mountpoint\":\"/m\",\"endpoint\":\"e\",\"future\":1}");
    assertEquals(SignatureVersion.V1, o.signatureVersion());
    assertEquals("jnr", o.transport());
    assertEquals(0, o.readTimeoutMillis(), "a state file from before the option: the default");
  }

  @Test
  void theReadTimeoutComesFromTheMountThenTheEnvironmentThenTheDefault() {
    MountOptions unset = MountOptions.builder("oss://bkt", "/m", "e").build();
    MountOptions set = unset.toBuilder().readTimeoutMillis(3000).build();
    Map<String, String> env = Map.of(MountFactory.READ_TIMEOUT_ENV, "7s");
    assertEquals(Duration.ofSeconds(3), MountFactory.readTimeout(set, env));
    assertEquals(Duration.ofSeconds(7), MountFactory.readTimeout(unset, env));
    assertEquals(
        Duration.ofMillis(1500),
        MountFactory.readTimeout(unset, Map.of(MountFactory.READ_TIMEOUT_ENV, "1500ms")));
    assertEquals(BodyTimeouts.DEFAULT_DEADLINE, MountFactory.readTimeout(unset, Map.of()));
    assertTrue(
        BodyTimeouts.DEFAULT_DEADLINE.compareTo(Duration.ofSeconds(30)) <= 0,
        "issue 10: default <= 30 s");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> MountFactory.readTimeout(unset, Map.of(MountFactory.READ_TIMEOUT_ENV, "soon")));
    assertEquals(
        "OSSFUSE_READ_TIMEOUT='soon' is not a duration > 0: use e.g. 20s or 1500ms",
        e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> MountFactory.readTimeout(unset, Map.of(MountFactory.READ_TIMEOUT_ENV, "0")));
    assertThrows(
        IllegalArgumentException.class, () -> unset.toBuilder().readTimeoutMillis(-1).build());
    assertEquals(
        Duration.ofSeconds(2),
        BodyTimeouts.withDeadline(Duration.ofSeconds(2)).idle(),
        "idle <= deadline");
  }

  @Test
  void invalidOptionsGiveOneLine() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                MountOptions.fromJson(
                    "{\"source\":\"s3://x\",\"mountpoint\":\"/m\",\"endpoint\":\"e\"}"));
    assertTrue(e.getMessage().contains("malformed OSS URL"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertThrows(
        IllegalArgumentException.class,
        () -> MountOptions.builder("oss://bkt", "relative", "e").build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            MountOptions.builder("oss://bkt", "/m", "e")
                .signatureVersion(SignatureVersion.V4)
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () -> MountOptions.builder("oss://bkt", "/m", "e").umask(01000).build());
  }

  @Test
  void sourcesRoundTripAndAreLeftOutOfOneSourceMounts() {
    MountOptions one = MountOptions.builder("oss://bkt", "/m", "e").build();
    assertTrue(one.sources().isEmpty());
    assertFalse(
        one.toJson().contains("sources"),
        "a state file of one source reads as before: " + one.toJson());
    MountOptions two =
        one.toBuilder()
            .sources(
                java.util.List.of(
                    new MountSource("a", "oss://bkt/x", "e", "/run/a", null, null),
                    new MountSource(
                        "b", "oss://other", "e2", null, SignatureVersion.V4, "cn-hangzhou")))
            .build();
    assertEquals(two, MountOptions.fromJson(two.toJson()));
    assertEquals(
        "two sources are named 'a': names must differ",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    one.toBuilder()
                        .sources(
                            java.util.List.of(
                                new MountSource("a", "oss://bkt", "e", null, null, null),
                                new MountSource("a", "oss://bkt2", "e", null, null, null)))
                        .build())
            .getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new MountSource("a/b", "oss://bkt", "e", null, null, null));
    assertThrows(
        IllegalArgumentException.class,
        () -> new MountSource("..", "oss://bkt", "e", null, null, null));
  }
}
