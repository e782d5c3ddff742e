package io.ossfuse.cache;

import java.nio.file.Path;

/**
 * One block file in one store. Identity matters: the index maps an id to the Entry of the file to
 * read, and compare-and-set on Entry instances decides who moved or dropped which file.
 */
final class Entry {
  final BlockId id;
  final Store store;
  final Path path;
  final long fileSize;

  /** nanoTime of the last mtime update; restart approximates LRU order by mtime. */
  volatile long touchedNanos;

  /**
   * Set before the file is deleted: a reader that opened the file meanwhile must not keep it open.
   */
  volatile boolean deleted;

  Entry(BlockId id, Store store, Path path, long fileSize) {
    this.id = id;
    this.store = store;
    this.path = path;
    this.fileSize = fileSize;
    this.touchedNanos = System.nanoTime();
  }

  @Override
  public String toString() {
    return store.type + ":" + path;
  }
}
