package io.ossfuse.cache;

import java.nio.ByteBuffer;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Direct buffers of one block each, reused across loads: a fresh 4 MiB heap array per miss costs a
 * humongous allocation, page zeroing and a copy into a temporary direct buffer on every file write.
 * At most {@code max} buffers exist; when all are out, {@link #take} returns null (or {@link
 * #await} waits for one) and the caller falls back to the loader's own allocation.
 */
final class BufferPool {
  private final int bufferSize;
  private final int max;
  private final LinkedBlockingQueue<ByteBuffer> free = new LinkedBlockingQueue<>();
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

  /**
   * Waits up to {@code millis} for a buffer to come back; null if none did (or interrupted: flag
   * kept).
   */
  ByteBuffer await(long millis) {
    try {
      ByteBuffer b = free.poll(millis, TimeUnit.MILLISECONDS);
      return b == null ? null : b.clear();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Returns a buffer from {@link #take}; nobody may touch it afterwards. */
  void give(ByteBuffer b) {
    free.offer(b);
  }

  int allocated() {
    return allocated.get();
  }
}
