package io.ossfuse.fs;

import java.time.Duration;
import java.util.function.Consumer;

/**
 * How the filesystem presents objects. Immutable; validated here.
 *
 * @param uid owner of every file and directory
 * @param gid group of every file and directory
 * @param umask cleared from 0444 (files) and 0555 (directories)
 * @param metadataTtl how long a HEAD/listing result is trusted (also the kernel's attr/entry
 *     timeout)
 * @param negativeTtl how long "no such file" is trusted
 * @param listPageSize max-keys of one listing request (1..1000)
 * @param readaheadBlocks blocks fetched ahead of a sequential reader (0 = off)
 * @param passthrough offer the transport the cache's whole-object file of an open's version, so the
 *     kernel reads it itself (FUSE passthrough)
 * @param prefetchSmallFiles after a directory is listed completely, fetch up to this many of its
 *     files of at most {@link #SMALL_FILE_BYTES} into the cache in the background (0 = off)
 */
public record FsOptions(
    int uid,
    int gid,
    int umask,
    Duration metadataTtl,
    Duration negativeTtl,
    int listPageSize,
    int readaheadBlocks,
    boolean passthrough,
    int prefetchSmallFiles) {

  public static final Duration DEFAULT_METADATA_TTL = Duration.ofSeconds(30);
  public static final Duration DEFAULT_NEGATIVE_TTL = Duration.ofSeconds(5);

  /** The largest file the small-file prefetch fetches. */
  public static final long SMALL_FILE_BYTES = 1 << 20;

  public static final int MAX_PREFETCH_SMALL_FILES = 100_000;

  public FsOptions {
    if (uid < 0) throw new IllegalArgumentException("uid must be >= 0, got " + uid);
    if (gid < 0) throw new IllegalArgumentException("gid must be >= 0, got " + gid);
    if (umask < 0 || umask > 0777)
      throw new IllegalArgumentException(
          "umask must be an octal value 000..777, got " + Integer.toOctalString(umask));
    if (metadataTtl == null) metadataTtl = DEFAULT_METADATA_TTL;
    if (negativeTtl == null) negativeTtl = DEFAULT_NEGATIVE_TTL;
    if (metadataTtl.isNegative()) throw new IllegalArgumentException("metadata TTL must be >= 0");
    if (negativeTtl.isNegative()) throw new IllegalArgumentException("negative TTL must be >= 0");
    if (listPageSize < 1 || listPageSize > 1000)
      throw new IllegalArgumentException("listPageSize must be 1..1000, got " + listPageSize);
    if (readaheadBlocks < 0 || readaheadBlocks > 64)
      throw new IllegalArgumentException("readaheadBlocks must be 0..64, got " + readaheadBlocks);
    if (prefetchSmallFiles < 0 || prefetchSmallFiles > MAX_PREFETCH_SMALL_FILES) {
      throw new IllegalArgumentException(
          "prefetch_small_files must be 0.."
              + MAX_PREFETCH_SMALL_FILES
              + ", got "
              + prefetchSmallFiles);
    }
  }

  /**
   * root:root, umask 022, default TTLs, 1000 keys a page, 8 blocks readahead, passthrough, no
   * small-file prefetch.
   */
  public static FsOptions defaults() {
    return new FsOptions(0, 0, 0022, null, null, 1000, 8, true, 0);
  }

  public FsOptions withPrefetchSmallFiles(int n) {
    return with(f -> f.prefetchSmallFiles = n);
  }

  public FsOptions withPassthrough(boolean on) {
    return with(f -> f.passthrough = on);
  }

  public FsOptions withOwner(int uid, int gid) {
    return with(
        f -> {
          f.uid = uid;
          f.gid = gid;
        });
  }

  public FsOptions withUmask(int umask) {
    return with(f -> f.umask = umask);
  }

  public FsOptions withTtls(Duration metadataTtl, Duration negativeTtl) {
    return with(
        f -> {
          f.metadataTtl = metadataTtl;
          f.negativeTtl = negativeTtl;
        });
  }

  public FsOptions withListPageSize(int n) {
    return with(f -> f.listPageSize = n);
  }

  public FsOptions withReadaheadBlocks(int n) {
    return with(f -> f.readaheadBlocks = n);
  }

  /** A copy with what {@code change} sets, validated like any other. */
  private FsOptions with(Consumer<Fields> change) {
    Fields f = new Fields(this);
    change.accept(f);
    return f.build();
  }

  /** The fields of a copy being made: each wither changes one or two of them. */
  private static final class Fields {
    int uid;
    int gid;
    int umask;
    Duration metadataTtl;
    Duration negativeTtl;
    int listPageSize;
    int readaheadBlocks;
    boolean passthrough;
    int prefetchSmallFiles;

    Fields(FsOptions o) {
      uid = o.uid;
      gid = o.gid;
      umask = o.umask;
      metadataTtl = o.metadataTtl;
      negativeTtl = o.negativeTtl;
      listPageSize = o.listPageSize;
      readaheadBlocks = o.readaheadBlocks;
      passthrough = o.passthrough;
      prefetchSmallFiles = o.prefetchSmallFiles;
    }

    FsOptions build() {
      return new FsOptions(
          uid,
          gid,
          umask,
          metadataTtl,
          negativeTtl,
          listPageSize,
          readaheadBlocks,
          passthrough,
          prefetchSmallFiles);
    }
  }
}
