package io.ossfuse.cli;

/** The end-to-end mount contract over the raw /dev/fuse transport (served in this process). */
class RawMountTest extends AbstractMountTest {
  @Override
  protected String transport() {
    return "raw";
  }
}
