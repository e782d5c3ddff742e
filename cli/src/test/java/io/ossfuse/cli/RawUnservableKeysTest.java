package io.ossfuse.cli;

/** Keys that cannot be served, over the raw transport. */
class RawUnservableKeysTest extends AbstractUnservableKeysTest {
  @Override
  protected String transport() {
    return "raw";
  }
}
