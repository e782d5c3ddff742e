package io.ossfuse.cli;

/** One version per open over the raw transport with the default cache. */
class RawVersionPinningTest extends AbstractVersionPinningTest {
  @Override
  protected String transport() {
    return "raw";
  }
}
