package io.ossfuse.fuse.jnr;

import io.ossfuse.fuse.FuseMountConfig;

/** Test access to the package-private option builder. */
public final class JnrOptionsAccess {
  public static String options(FuseMountConfig c) {
    return JnrFuseTransport.options(c)[1];
  }
}
