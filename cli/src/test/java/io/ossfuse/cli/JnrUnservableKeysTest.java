package io.ossfuse.cli;

/** Keys that cannot be served, over the jnr transport. */
class JnrUnservableKeysTest extends AbstractUnservableKeysTest {
  @Override
  protected String transport() {
    return "jnr";
  }
}
