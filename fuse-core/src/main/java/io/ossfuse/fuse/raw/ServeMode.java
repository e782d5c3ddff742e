package io.ossfuse.fuse.raw;

/** How a child generation serves its connection; logged at start, visible in status. */
public enum ServeMode {
  /** First generation on the shared fd; the kernel can RESEND, so a successor loses nothing. */
  SHARED_FD_FRESH,
  /**
   * A later generation: it wrote FUSE_NOTIFY_RESEND and the kernel re-queued what the dead one had
   * read.
   */
  SHARED_FD_RESEND,
  /**
   * Kernel without RESEND (< 6.9) or forced: serving on a FUSE_DEV_IOC_CLONE'd fd, so when this
   * child dies its in-flight requests fail with ECONNABORTED instead of hanging; the mount stays.
   */
  CLONED_FD
}
