package io.ossfuse.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The end-to-end mount contract over jnr-fuse with the tiered block cache (one MEM level). */
class JnrTieredMountTest extends AbstractMountTest {
  @Override
  protected String transport() {
    return "jnr";
  }

  @Override
  protected List<String> extraMountArgs(Path work) throws IOException {
    Path yaml = work.resolve("tieredstore.yaml");
    Files.writeString(
        yaml,
        "tieredstore:\n  levels:\n    - mediumtype: MEM\n      path: "
            + work.resolve("cache-mem")
            + "\n      quota: 256Mi\n      high: \"0.95\"\n      low: \"0.8\"\n");
    return List.of("--tieredstore", yaml.toString());
  }
}
