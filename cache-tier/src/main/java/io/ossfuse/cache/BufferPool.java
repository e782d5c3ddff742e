package io.ossfuse.cache;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers of one block each, reused across loads: a fresh 4 MiB heap array per miss costs a
 * humongous allocation, page zeroing and a copy into a temporary direct buffer on every file write.
 * At most {@code max} buffers exist; when all are out, {@link #take} returns null and the caller
 * falls back to the loader's own allocation.
 */
final class BufferPool {
    private final int bufferSize;
    private final int max;
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger allocated = new AtomicInteger();

    BufferPool(int bufferSize, int max) {
        this.bufferSize = bufferSize;
        this.max = max;
    }

    /** A cleared buffer, or null when {@code max} are in use. */
    ByteBuffer take() {
        ByteBuffer b = free.poll();
        if (b != null) return b.clear();
        while (true) {
            int n = allocated.get();
            if (n >= max) return null;
            if (allocated.compareAndSet(n, n + 1)) return ByteBuffer.allocateDirect(bufferSize);
        }
    }

    /** Returns a buffer from {@link #take}; nobody may touch it afterwards. */
    void give(ByteBuffer b) {
        free.offer(b);
    }

    /** A buffer from {@link #take} that will not come back (still referenced elsewhere; the GC frees it). */
    void forget() {
        allocated.decrementAndGet();
    }

    int allocated() {
        return allocated.get();
    }
}
