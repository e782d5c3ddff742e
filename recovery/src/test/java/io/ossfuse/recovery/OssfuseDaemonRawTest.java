package io.ossfuse.recovery;

/** The daemon end to end with the raw transport. */
final class OssfuseDaemonRawTest extends OssfuseDaemonTest {
  @Override
  String transport() {
    return "raw";
  }

  @Override
  long settleMillis() {
    return 0; // raw waits for the standby's own "ready" signal
  }
}
