package io.ossfuse.recovery;

/** The daemon end to end with the jnr transport. */
final class OssfuseDaemonJnrTest extends OssfuseDaemonTest {
  @Override
  String transport() {
    return "jnr";
  }
}
