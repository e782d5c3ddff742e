package io.ossfuse.localoss;

import java.io.IOException;

/** Thrown to make the JDK server close the connection without (finishing) an answer. */
final class AbortConnection extends IOException {
  AbortConnection(String why) {
    super(why, null);
  }
}
