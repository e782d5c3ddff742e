package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ossfuse.fuse.raw.RawFuseConfig;
import io.ossfuse.mount.MountOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FuseChildMainTest {
  @Test
  void aDaemonHeldChildLetsTheKernelRememberMissingNamesAsLongAsTheMountDoes() {
    MountOptions o =
        MountOptions.builder("oss://bkt/d", "/mnt/x", "http://127.0.0.1:9")
            .negativeTtlMillis(2500)
            .build();
    RawFuseConfig c = FuseChildMain.rawConfig(o);
    assertEquals(Duration.ofMillis(2500), c.negativeTimeout());
    assertEquals(
        RawFuseConfig.defaults().withNegativeTimeout(Duration.ofMillis(2500)),
        c,
        "otherwise the defaults");
    assertEquals(
        Duration.ZERO,
        FuseChildMain.rawConfig(o.toBuilder().negativeTtlMillis(0).build()).negativeTimeout());
  }
}
