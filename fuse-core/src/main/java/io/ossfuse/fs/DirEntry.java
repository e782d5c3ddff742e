package io.ossfuse.fs;

/** One directory entry; {@code nextOffset} is the readdir offset that continues after it. */
public record DirEntry(String name, FileAttr attr, long nextOffset) {}
