package io.ossfuse.mount;

import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.FuseTransport;
import io.ossfuse.stats.Metrics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mounted, serving filesystem: {@link MountedFileSystem} plus the transport serving it at the
 * mount point. {@link #start} returns once the mount answers; {@link #close} unmounts and releases
 * everything (idempotent). What {@code ossfuse mount --foreground} and the demo run.
 */
public final class ServedMount implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServedMount.class);
  private final MountedFileSystem mounted;
  private final FuseTransport transport;
  private final Path mountpoint;
  private boolean closed;

  private ServedMount(MountedFileSystem mounted, FuseTransport transport, Path mountpoint) {
    this.mounted = mounted;
    this.transport = transport;
    this.mountpoint = mountpoint;
  }

  /** Checks the mount point, opens the filesystem and mounts it with the options' transport. */
  public static ServedMount start(MountOptions options, MountFactory factory)
      throws MountException {
    Path mp = MountFactory.checkMountpoint(Path.of(options.mountpoint()));
    FuseTransport transport;
    try {
      transport = FuseTransports.create(options.transport());
    } catch (IllegalArgumentException e) {
      throw new MountException(e.getMessage(), e);
    }
    MountedFileSystem m = factory.open(options);
    try {
      FuseMountConfig cfg =
          new FuseMountConfig(
              m.fsName(),
              options.allowOther(),
              1 << 20,
              Duration.ofMillis(options.metadataTtlMillis()),
              Duration.ofMillis(options.negativeTtlMillis()),
              null);
      transport.mount(mp, Metrics.meter(m.fs()), cfg);
    } catch (IOException | RuntimeException e) {
      m.close();
      throw new MountException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
    return new ServedMount(m, transport, mp);
  }

  public Path mountpoint() {
    return mountpoint;
  }

  public MountedFileSystem mounted() {
    return mounted;
  }

  public FuseTransport transport() {
    return transport;
  }

  /**
   * Blocks until the mount goes away from outside (e.g. {@code fusermount -u}) or the timeout
   * passes.
   */
  public boolean awaitUnmounted(Duration timeout) throws InterruptedException {
    return transport.awaitUnmounted(timeout);
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) return;
    closed = true;
    try {
      transport.unmount();
    } finally {
      mounted.close();
      LOG.debug("released {}", mountpoint);
    }
  }
}
