package io.ossfuse.fs;

import java.time.Instant;

/** What the filesystem knows about one path: a file (an object) or a directory (a prefix). */
record Node(FileType type, String key, long size, String etag, Instant mtime) {
  static Node file(String key, long size, String etag, Instant mtime) {
    return new Node(FileType.REGULAR, key, size, etag, mtime);
  }

  static Node dir(String prefix, Instant mtime) {
    return new Node(FileType.DIRECTORY, prefix, 0, null, mtime);
  }

  boolean isDir() {
    return type == FileType.DIRECTORY;
  }
}
