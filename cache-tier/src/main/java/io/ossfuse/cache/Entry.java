package io.ossfuse.cache;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * One block file in one store. Identity matters: the index maps an id to the Entry of the file to read,
 * and compare-and-set on Entry instances decides who moved or dropped which file.
 */
final class Entry {
    final BlockId id;
    final Store store;
    final Path path;
    final long fileSize;
    /** nanoTime of the last mtime update; restart approximates LRU order by mtime. */
    volatile long touchedNanos;
    /** Set before the file is deleted: a reader that opened the file meanwhile must not keep it open. */
    volatile boolean deleted;
    /** The open file of a recently read block, shared by readers; null when not open. */
    volatile Handle handle;
    static final AtomicReferenceFieldUpdater<Entry, Handle> HANDLE =
            AtomicReferenceFieldUpdater.newUpdater(Entry.class, Handle.class, "handle");

    /**
     * An open block file, kept to save an open, a close and a header parse per read. Its header was
     * checked against {@code key} when it was opened, and it remembers which chunks have been verified
     * since ({@link BlockHeader#verify}): a file is immutable once renamed, so one check per open suffices.
     */
    record Handle(FileChannel channel, BlockKey key, BlockHeader header) {
    }

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
