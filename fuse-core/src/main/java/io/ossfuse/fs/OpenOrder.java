package io.ossfuse.fs;

/**
 * Follows the opens of one directory listing's children: once a reader opens two children one right
 * after the other in listing order ({@code cat dir/*}, a loader going through a directory), says
 * which further children to fetch ahead of it, each only once.
 */
final class OpenOrder {
  private int last = -2;

  /** The highest position handed out to fetch ahead so far. */
  private int aheadTo = -1;

  /** Children up to position {@code index} were queued to be fetched (not to be queued again). */
  synchronized void queuedTo(int index) {
    aheadTo = Math.max(aheadTo, index);
  }

  /**
   * Child {@code index} was opened. Returns the positions to fetch now, {@code [from, to)} packed
   * as {@code from << 32 | to}, or -1: none (not in order, or already handed out).
   */
  synchronized long opened(int index, int window) {
    boolean inOrder = index == last + 1;
    last = index;
    if (!inOrder) return -1;
    int from = Math.max(index + 1, aheadTo + 1);
    int to = index + 1 + window;
    if (from >= to) return -1;
    aheadTo = to - 1;
    return (long) from << 32 | to;
  }
}
