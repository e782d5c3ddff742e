package io.ossfuse.fuse.raw;

import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.FuseTransport;
import io.ossfuse.fuse.MountInfo;
import io.ossfuse.fuse.dev.FuseDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raw transport as a {@link FuseTransport} ("raw"): this process owns the /dev/fuse fd and
 * serves it itself — no takeover (for that, the watchdog owns the fd and runs {@link
 * RawFuseTransport#serveStdin} in children). Root only.
 */
public final class RawMountTransport implements FuseTransport {
  private static final Logger LOG = LoggerFactory.getLogger(RawMountTransport.class);
  private static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration UNMOUNT_TIMEOUT = Duration.ofSeconds(15);

  private final RawFuseConfig base;
  private FuseDevice device;
  private RawFuseSession session;
  private Path stateDir;

  public RawMountTransport() {
    this(RawFuseConfig.defaults());
  }

  public RawMountTransport(RawFuseConfig config) {
    this.base = config;
  }

  @Override
  public String name() {
    return "raw";
  }

  @Override
  public synchronized void mount(Path mountpoint, ReadOnlyFileSystem fs, FuseMountConfig config)
      throws IOException {
    if (device != null) {
      throw new IllegalStateException("already mounted at " + device.mountpoint());
    }
    int maxRequest =
        Math.max(4096, Math.min(RawFuseConfig.MAX_REQUEST, config.maxRead() / 4096 * 4096));
    RawFuseConfig rc =
        base.withMaxRequestBytes(maxRequest).withNegativeTimeout(config.negativeTimeout());
    FuseDevice dev = FuseDevice.mount(mountpoint, config);
    try {
      // The INIT record only matters across processes; an in-process mount keeps it private.
      stateDir = Files.createTempDirectory("ossfuse-raw-");
      session =
          RawFuseTransport.start(dev.fd(), fs, new SessionState(stateDir, dev.sessionId()), rc);
      session.awaitMode(MOUNT_TIMEOUT);
      if (!dev.probe(MOUNT_TIMEOUT)) {
        throw new IOException("FUSE mount at " + dev.mountpoint() + " does not answer");
      }
    } catch (IOException | RuntimeException | TimeoutException e) {
      dev.close();
      throw e instanceof IOException io
          ? io
          : new IOException(
              "FUSE mount at " + mountpoint + " did not come up: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      dev.close();
      throw new IOException("interrupted while mounting " + mountpoint);
    }
    device = dev;
    LOG.info("mounted {} at {} (raw transport)", config.fsName(), dev.mountpoint());
  }

  @Override
  public synchronized void unmount() throws IOException {
    if (device == null) {
      return;
    }
    FuseDevice dev = device;
    device = null;
    dev.close();
    try {
      if (!session.awaitTermination(UNMOUNT_TIMEOUT)) {
        throw new IOException(
            "raw FUSE workers for "
                + dev.mountpoint()
                + " still running "
                + UNMOUNT_TIMEOUT.toSeconds()
                + " s after the unmount");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      deleteQuietly(stateDir);
    }
  }

  @Override
  public boolean isMounted() {
    FuseDevice dev = device;
    try {
      return dev != null && MountInfo.isMounted(dev.mountpoint());
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public boolean awaitUnmounted(Duration timeout) throws InterruptedException {
    RawFuseSession s = session;
    return s == null || s.awaitTermination(timeout);
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (var s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.debug("cannot delete {}: {}", dir, e.toString());
    }
  }
}
