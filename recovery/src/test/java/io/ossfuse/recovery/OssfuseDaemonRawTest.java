package io.ossfuse.recovery;

/** The daemon end to end with the raw transport. */
final class OssfuseDaemonRawTest extends OssfuseDaemonTest {
  @Override
  String transport() {
    return "raw";
  }

  @Override
  long settleMillis() {
    return 4000; // raw waits for the pre-started standby to be ready
  }
}
