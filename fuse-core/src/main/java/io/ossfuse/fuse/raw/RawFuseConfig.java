package io.ossfuse.fuse.raw;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

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
    return with(f -> f.passthrough = on);
  }

  public RawFuseConfig withWorkers(int n) {
    return with(f -> f.workers = n);
  }

  public RawFuseConfig withReaddirPlus(boolean on) {
    return with(f -> f.readdirPlus = on);
  }

  public RawFuseConfig withForceClonedFd(boolean on) {
    return with(f -> f.forceClonedFd = on);
  }

  public RawFuseConfig withNegativeTimeout(Duration d) {
    return with(f -> f.negativeTimeout = d);
  }

  /** A multiple of 4 KiB from 4 KiB to 1 MiB: the largest READ/READDIR request and max_write. */
  public RawFuseConfig withMaxRequestBytes(int n) {
    return with(f -> f.maxRequestBytes = n);
  }

  public RawFuseConfig withTestPauses(Duration beforeInitSave, Duration beforeInitReply) {
    return with(
        f -> {
          f.testPauseBeforeInitSave = beforeInitSave;
          f.testPauseBeforeInitReply = beforeInitReply;
        });
  }

  /** A copy with what {@code change} sets, validated like any other. */
  private RawFuseConfig with(Consumer<Fields> change) {
    Fields f = new Fields(this);
    change.accept(f);
    return f.build();
  }

  /** The fields of a copy being made: each wither changes one or two of them. */
  private static final class Fields {
    int workers;
    int maxRequestBytes;
    int maxBackground;
    boolean readdirPlus;
    boolean keepCache;
    Duration negativeTimeout;
    boolean forceClonedFd;
    Duration testPauseBeforeInitSave;
    Duration testPauseBeforeInitReply;
    boolean passthrough;

    Fields(RawFuseConfig c) {
      workers = c.workers;
      maxRequestBytes = c.maxRequestBytes;
      maxBackground = c.maxBackground;
      readdirPlus = c.readdirPlus;
      keepCache = c.keepCache;
      negativeTimeout = c.negativeTimeout;
      forceClonedFd = c.forceClonedFd;
      testPauseBeforeInitSave = c.testPauseBeforeInitSave;
      testPauseBeforeInitReply = c.testPauseBeforeInitReply;
      passthrough = c.passthrough;
    }

    RawFuseConfig build() {
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
          passthrough);
    }
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
