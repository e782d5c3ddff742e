package io.ossfuse.cli;

/** Random vs sequential reads through a raw mount with the default in-heap block cache. */
class RawRandomReadMountTest extends AbstractRandomReadMountTest {}
