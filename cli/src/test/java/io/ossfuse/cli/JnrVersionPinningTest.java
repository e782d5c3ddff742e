package io.ossfuse.cli;

/** One version per open over the jnr transport with the default cache. */
class JnrVersionPinningTest extends AbstractVersionPinningTest {
  @Override
  protected String transport() {
    return "jnr";
  }
}
