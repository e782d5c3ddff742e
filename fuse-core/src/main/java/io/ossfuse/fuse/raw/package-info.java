/**
 * The kernel FUSE protocol spoken directly on a /dev/fuse fd ({@link
 * io.ossfuse.fuse.raw.RawFuseTransport}): 1 MiB requests, several workers, and a connection that
 * survives the death of the serving process — a successor takes over with FUSE_NOTIFY_RESEND
 * (kernel 6.9+) or, on older kernels, serves on a cloned fd. The fd is owned elsewhere ({@link
 * io.ossfuse.fuse.dev.FuseDevice}).
 */
package io.ossfuse.fuse.raw;
