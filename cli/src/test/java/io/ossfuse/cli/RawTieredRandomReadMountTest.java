package io.ossfuse.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Random vs sequential reads through a raw mount with a tiered MEM level a quarter of the object's
 * size.
 */
class RawTieredRandomReadMountTest extends AbstractRandomReadMountTest {
  @Override
  protected List<String> extraMountArgs(Path work) throws IOException {
    Path yaml = work.resolve("tieredstore.yaml");
    Files.writeString(
        yaml,
        "tieredstore:\n  levels:\n    - mediumtype: MEM\n      path: "
            + work.resolve("cache-mem")
            + "\n      quota: 16Mi\n      high: \"0.95\"\n      low: \"0.8\"\n");
    return List.of("--tieredstore", yaml.toString());
  }
}
