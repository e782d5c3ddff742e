package io.ossfuse.fs;

/**
 * The access pattern of one open file, and from it the plan of each read: sequential runs go
 * through whole cached blocks with a readahead window that starts at one block and doubles with
 * every further sequential read (like mountpoint-s3's prefetcher), random reads fetch just their
 * own bytes with one ranged GET unless the block is cached already. Without this a 4 KiB random
 * read fetched a whole 4 MiB block (~1,000x the bytes read), and a cache smaller than the object
 * never got to reuse it.
 *
 * <p>A read is sequential when it starts within {@link #SEQUENTIAL_SLACK} of the furthest end read
 * so far (the kernel issues its readahead requests in parallel, slightly out of order), or within
 * {@link #RUN_START_SLACK} while the run is not sequential yet. A run counts as sequential from its
 * {@link #SEQUENTIAL_AFTER}th read on, or from the first read when the handle's first read is at
 * offset 0 (a whole-file reader: {@code cat}, {@code cp}, a small file).
 */
final class ReadPattern {
  /**
   * How far from the furthest end read so far a read may start and still continue a sequential run:
   * the kernel's readahead requests (up to 1 MiB each with the raw transport) are served by several
   * threads, so one may arrive after the next one or two; losing the run to that would turn a
   * sequential reader's reads into single GETs.
   */
  static final long SEQUENTIAL_SLACK = 4 << 20;

  /**
   * The same before the run counts as sequential, unless twice the read's length is more: random
   * reads that land close by chance must not start a run (each would cost a whole block).
   */
  static final long RUN_START_SLACK = 128 << 10;

  /** Reads of a run (counting its first) from which on it is read through blocks with readahead. */
  static final int SEQUENTIAL_AFTER = 3;

  private final long size;
  private long lastEnd = -1;

  /** Sequential reads since the current run started (0: its first read). */
  private int streak;

  /** The current run began with the handle's first read, at offset 0. */
  private boolean runFromStart;

  private long prefetchedUpTo = -1;

  ReadPattern(long size) {
    this.size = size;
  }

  /**
   * How to serve one read.
   *
   * @param throughBlocks load whole blocks through the cache (a sequential run); false: serve the
   *     bytes from a cached block if there is one, else fetch exactly them
   * @param readaheadFrom first block to prefetch, or -1 for none
   * @param readaheadTo last block to prefetch (inclusive)
   */
  record Plan(boolean throughBlocks, long readaheadFrom, long readaheadTo) {
    static final Plan RANDOM = new Plan(false, -1, -1);
    static final Plan BLOCKS = new Plan(true, -1, -1);

    boolean readahead() {
      return readaheadFrom >= 0;
    }
  }

  /**
   * Records a read of [offset, end) and plans it.
   *
   * @param blockSize the cache's block size
   * @param maxWindow the most blocks to have fetched ahead of a sequential reader (0: no readahead)
   */
  synchronized Plan onRead(long offset, long end, int blockSize, int maxWindow) {
    boolean first = lastEnd < 0;
    long slack = inRun() ? SEQUENTIAL_SLACK : Math.max(RUN_START_SLACK, 2 * (end - offset));
    boolean sequential = !first && offset >= lastEnd - slack && offset <= lastEnd + slack;
    if (sequential) {
      streak++;
      lastEnd = Math.max(lastEnd, end);
    } else {
      streak = 0;
      runFromStart = first && offset == 0;
      prefetchedUpTo = -1;
      lastEnd = end;
    }
    if (!inRun()) return Plan.RANDOM;
    int window = window(streak, maxWindow);
    if (window == 0 || size == 0) return Plan.BLOCKS;
    long lastBlock = (size - 1) / blockSize;
    long current = (end - 1) / blockSize;
    long to = Math.min(lastBlock, current + window);
    long from = Math.max(prefetchedUpTo + 1, current + 1);
    if (from > to) return Plan.BLOCKS;
    // Ask in runs of half the window (one GET each), so two requests overlap, not one per block.
    if (prefetchedUpTo > current && to - from + 1 < runBlocks(window) && to < lastBlock)
      return Plan.BLOCKS;
    prefetchedUpTo = to;
    return new Plan(true, from, to);
  }

  /** The current run is read through blocks. */
  private boolean inRun() {
    return runFromStart || streak + 1 >= SEQUENTIAL_AFTER;
  }

  /**
   * Blocks to have fetched ahead after {@code streak} sequential reads: none before the third read
   * of a run, then 1, 2, 4, ... up to {@code maxWindow}.
   */
  static int window(int streak, int maxWindow) {
    if (maxWindow == 0 || streak < SEQUENTIAL_AFTER - 1) return 0;
    int doublings = streak - (SEQUENTIAL_AFTER - 1);
    return doublings >= 30 ? maxWindow : Math.min(maxWindow, 1 << doublings);
  }

  /** Blocks fetched with one request when prefetching: half the window, so two requests overlap. */
  static int runBlocks(int window) {
    return Math.max(1, window / 2);
  }
}
