package io.ossfuse.cli;

/** The end-to-end mount contract over the jnr-fuse transport. */
class JnrMountTest extends AbstractMountTest {
  @Override
  protected String transport() {
    return "jnr";
  }
}
