package io.ossfuse.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** One version per open over the jnr transport with a MEM tieredstore. */
class JnrTieredVersionPinningTest extends AbstractVersionPinningTest {
  @Override
  protected String transport() {
    return "jnr";
  }

  @Override
  protected List<String> extraMountArgs(Path work) throws IOException {
    return memTier(work);
  }
}
