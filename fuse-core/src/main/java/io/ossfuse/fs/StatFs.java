package io.ossfuse.fs;

public record StatFs(
    long blockSize, long blocks, long blocksFree, long files, long filesFree, int nameMax) {}
