package io.ossfuse.fuse.raw;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the raw transport. Immutable; validated where built. Start from {@link #defaults()}.
 *
 * @param workers threads reading the device, each with its own direct buffers (1..256)
 * @param maxRequestBytes largest READ/READDIR request and max_write (4 KiB..1 MiB, multiple of 4
 *     KiB)
 * @param maxBackground kernel max_background: async (readahead) requests in flight (1..1024)
 * @param readdirPlus answer READDIRPLUS (entries with attributes: one request for {@code ls -l})
 * @param keepCache FOPEN_KEEP_CACHE on open: page cache survives re-opens (data immutable per ETag)
 * @param negativeTimeout how long the kernel may remember that a name does not exist (0 = never)
 * @param forceClonedFd serve on a FUSE_DEV_IOC_CLONE'd fd even if the kernel can RESEND (tests the
 *     pre-6.9 mode)
 * @param testPauseBeforeInitSave test hook: sleep after reading INIT, before saving it
 * @param testPauseBeforeInitReply test hook: sleep after saving INIT, before answering it
 * @param passthrough ask for FUSE passthrough (kernel >= 6.9): an open of a file the filesystem has
 *     whole in its cache is answered with a backing file the kernel then reads itself
 */
public record RawFuseConfig(
    int workers,
    int maxRequestBytes,
    int maxBackground,
    boolean readdirPlus,
    boolean keepCache,
    Duration negativeTimeout,
    boolean forceClonedFd,
    Duration testPauseBeforeInitSave,
    Duration testPauseBeforeInitReply,
    boolean passthrough) {

  public static final int MAX_REQUEST = 1 << 20;

  public RawFuseConfig {
    if (workers < 1 || workers > 256) {
      throw new IllegalArgumentException("workers=" + workers + " must be between 1 and 256");
    }
    if (maxRequestBytes < Wire.PAGE_SIZE
        || maxRequestBytes > MAX_REQUEST
        || maxRequestBytes % Wire.PAGE_SIZE != 0) {
      throw new IllegalArgumentException(
          "maxRequestBytes="
              + maxRequestBytes
              + " must be a multiple of 4096 between 4096 and "
              + MAX_REQUEST);
    }
    if (maxBackground < 1 || maxBackground > 1024) {
      throw new IllegalArgumentException(
          "maxBackground=" + maxBackground + " must be between 1 and 1024");
    }
    if (negativeTimeout == null || negativeTimeout.isNegative()) {
      throw new IllegalArgumentException(
          "negativeTimeout=" + negativeTimeout + " must be zero or positive");
    }
    Objects.requireNonNull(testPauseBeforeInitSave, "testPauseBeforeInitSave");
    Objects.requireNonNull(testPauseBeforeInitReply, "testPauseBeforeInitReply");
  }

  /** 8 workers, 1 MiB requests, 64 background requests, READDIRPLUS, keep-cache, passthrough. */
  public static RawFuseConfig defaults() {
    return new RawFuseConfig(
        8, MAX_REQUEST, 64, true, true, Duration.ZERO, false, Duration.ZERO, Duration.ZERO, true);
  }

  public RawFuseConfig withPassthrough(boolean on) {
    return new RawFuseConfig(
        workers,
        maxRequestBytes,
        maxBackground,
        readdirPlus,
        keepCache,
        negativeTimeout,
        forceClonedFd,
        testPauseBeforeInitSave,
        testPauseBeforeInitReply,
        on);
  }

  public RawFuseConfig withWorkers(int n) {
    return new RawFuseConfig(
        n,
        maxRequestBytes,
        maxBackground,
        readdirPlus,
        keepCache,
        negativeTimeout,
        forceClonedFd,
        testPauseBeforeInitSave,
        testPauseBeforeInitReply,
        passthrough);
  }

  public RawFuseConfig withReaddirPlus(boolean on) {
    return new RawFuseConfig(
        workers,
        maxRequestBytes,
        maxBackground,
        on,
        keepCache,
        negativeTimeout,
        forceClonedFd,
        testPauseBeforeInitSave,
        testPauseBeforeInitReply,
        passthrough);
  }

  public RawFuseConfig withForceClonedFd(boolean on) {
    return new RawFuseConfig(
        workers,
        maxRequestBytes,
        maxBackground,
        readdirPlus,
        keepCache,
        negativeTimeout,
        on,
        testPauseBeforeInitSave,
        testPauseBeforeInitReply,
        passthrough);
  }

  public RawFuseConfig withNegativeTimeout(Duration d) {
    return new RawFuseConfig(
        workers,
        maxRequestBytes,
        maxBackground,
        readdirPlus,
        keepCache,
        d,
        forceClonedFd,
        testPauseBeforeInitSave,
        testPauseBeforeInitReply,
        passthrough);
  }

  /** 1..1 MiB (rounded down to 4 KiB): the largest READ/READDIR request and max_write. */
  public RawFuseConfig withMaxRequestBytes(int n) {
    return new RawFuseConfig(
        workers,
        n,
        maxBackground,
        readdirPlus,
        keepCache,
        negativeTimeout,
        forceClonedFd,
        testPauseBeforeInitSave,
        testPauseBeforeInitReply,
        passthrough);
  }

  public RawFuseConfig withTestPauses(Duration beforeInitSave, Duration beforeInitReply) {
    return new RawFuseConfig(
        workers,
        maxRequestBytes,
        maxBackground,
        readdirPlus,
        keepCache,
        negativeTimeout,
        forceClonedFd,
        beforeInitSave,
        beforeInitReply,
        passthrough);
  }

  /** Input buffer: the largest request (a WRITE of max_write, refused anyway) plus headers. */
  int inBufferBytes() {
    return maxRequestBytes + Wire.PAGE_SIZE * 2;
  }

  /** Output buffer: the largest READ/READDIR reply plus header. */
  int outBufferBytes() {
    return maxRequestBytes + Wire.PAGE_SIZE;
  }
}
