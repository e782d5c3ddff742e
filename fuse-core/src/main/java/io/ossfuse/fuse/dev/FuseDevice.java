package io.ossfuse.fuse.dev;

import io.ossfuse.fs.Errno;
import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.MountInfo;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one kernel FUSE connection: the /dev/fuse fd, the mount made on it, and its connection id.
 *
 * <p>The kernel keeps a FUSE connection alive as long as any fd on it is open. The owner (the
 * watchdog) keeps this object for its whole life and hands {@link #fd()} to each serving child
 * ({@link ChildFd#start}); a child that dies then never shows as ENOTCONN to readers — its
 * successor takes over (see {@code io.ossfuse.fuse.raw.RawFuseTransport}). Closing this object
 * unmounts (lazily) and drops the owner's fd; the connection ends when the last child fd closes.
 *
 * <p>Root only (mount(2) with {@code fd=N}).
 */
public final class FuseDevice implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(FuseDevice.class);
  private static final AtomicLong PROBES = new AtomicLong();

  /** Readahead set at mount: buffered sequential reads then use 1 MiB requests (measured +30%). */
  static final int DEFAULT_READ_AHEAD_KB = 1024;

  private final int fd;
  private final Path mountpoint;
  private final int connection;
  private final String sessionId;
  private volatile boolean mounted = true;
  private volatile boolean closed;

  private FuseDevice(int fd, Path mountpoint, int connection, String sessionId) {
    this.fd = fd;
    this.mountpoint = mountpoint;
    this.connection = connection;
    this.sessionId = sessionId;
  }

  /**
   * Opens /dev/fuse and mounts it read-only ({@code ro,nosuid,nodev}, type {@code fuse.ossfuse},
   * owned by root, {@code default_permissions}; {@code allow_other} and the source name from {@code
   * config}) at {@code mountpoint}. The mount exists when this returns, but nothing answers
   * requests until a server reads the fd (the kernel queues INIT first); use {@link #probe} for a
   * positive readiness check once one runs. Readahead is raised to 1 MiB ({@link #setReadAheadKb}
   * to change it).
   */
  public static FuseDevice mount(Path mountpoint, FuseMountConfig config) throws IOException {
    LibC c = LibC.get();
    Path target = mountpoint.toAbsolutePath().normalize();
    if (!Files.isDirectory(target)) {
      throw new IOException("mountpoint " + target + " is not a directory: create it first");
    }
    int fd = c.open("/dev/fuse", LibC.O_RDWR | LibC.O_CLOEXEC);
    if (fd < 0) {
      throw new IOException(
          "cannot open /dev/fuse: "
              + LibC.describe(LibC.errno())
              + "; the seamless transport needs root and the fuse kernel module");
    }
    String data = data(fd, config.allowOther());
    String fstype = "fuse." + FuseMountConfig.SUBTYPE;
    if (c.mount(
            config.fsName(),
            target.toString(),
            fstype,
            LibC.MS_RDONLY | LibC.MS_NOSUID | LibC.MS_NODEV,
            data)
        != 0) {
      int e = LibC.errno();
      c.close(fd);
      throw new IOException(
          "cannot mount " + fstype + " at " + target + " (" + data + "): " + LibC.describe(e));
    }
    OptionalInt minor = MountInfo.read().fuseMinor(target);
    if (minor.isEmpty()) {
      c.umount2(target.toString(), LibC.MNT_DETACH);
      c.close(fd);
      throw new IOException(
          "mounted "
              + target
              + " but it is missing from "
              + MountInfo.PROC_MOUNTINFO
              + "; is the mountpoint in another mount namespace?");
    }
    String session = minor.getAsInt() + "-" + UUID.randomUUID();
    FuseDevice dev = new FuseDevice(fd, target, minor.getAsInt(), session);
    try {
      dev.setReadAheadKb(DEFAULT_READ_AHEAD_KB);
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "cannot raise readahead of {} to {} KiB: {}",
          target,
          DEFAULT_READ_AHEAD_KB,
          e.toString());
    }
    LOG.info(
        "mounted {} on {} (fd {}, connection {}, session {})",
        config.fsName(),
        target,
        fd,
        minor.getAsInt(),
        session);
    return dev;
  }

  /** The mount(2) data for a connection on {@code fd}. */
  static String data(int fd, boolean allowOther) {
    return "fd="
        + fd
        + ",rootmode=40000,user_id=0,group_id=0"
        + (allowOther ? ",allow_other" : "")
        + ",default_permissions";
  }

  /** The owner's /dev/fuse fd (close-on-exec; {@link ChildFd} hands it to children). */
  public int fd() {
    return fd;
  }

  public Path mountpoint() {
    return mountpoint;
  }

  /** The connection id: the directory name under {@link FuseConnections#DIR}. */
  public int connection() {
    return connection;
  }

  /**
   * Unique per mount: children compare it with the saved INIT record to tell a takeover of this
   * connection from a fresh one. Pass it on with {@code SessionState}.
   */
  public String sessionId() {
    return sessionId;
  }

  /**
   * A positive check that a server answers on this mount: looks up a fresh, never-cached name below
   * the mountpoint in a child process and waits up to {@code timeout}. "No such file" is a server's
   * answer, so it counts as alive; ENOTCONN, an abort or no answer in time does not.
   */
  public boolean probe(Duration timeout) {
    Path name =
        mountpoint.resolve(
            ".ossfuse-probe-" + ProcessHandle.current().pid() + "-" + PROBES.incrementAndGet());
    Process p = null;
    try {
      p = new ProcessBuilder("stat", "-c", "%i", name.toString()).redirectErrorStream(true).start();
      p.getOutputStream().close();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return false;
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.exitValue() == 0 || out.contains("No such file");
    } catch (IOException e) {
      LOG.warn("probe of {} could not run stat: {}", mountpoint, e.toString());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
      }
    }
  }

  /**
   * Sets the kernel readahead of this mount (/sys/class/bdi/0:N/read_ahead_kb). The kernel starts
   * FUSE mounts at 128 KiB whatever INIT says; 1024 lets buffered sequential reads use the full 1
   * MiB requests of the raw transport.
   */
  public void setReadAheadKb(int kb) throws IOException {
    if (kb < 0 || kb > 65536) {
      throw new IllegalArgumentException("readAheadKb=" + kb + " must be between 0 and 65536");
    }
    Path bdi = Path.of("/sys/class/bdi/0:" + connection + "/read_ahead_kb");
    Files.writeString(bdi, Integer.toString(kb));
  }

  /**
   * Fails every pending and future request of this connection (readers get ECONNABORTED or EIO; the
   * mount then answers ENOTCONN). The last resort for a hung server; unmount afterwards.
   */
  public void abort() throws IOException {
    Path abort =
        FuseConnections.abortFile(connection)
            .orElseThrow(
                () ->
                    new IOException(
                        "cannot abort FUSE connection "
                            + connection
                            + ": fusectl is not mounted on "
                            + FuseConnections.DIR
                            + " (mount -t fusectl none "
                            + FuseConnections.DIR
                            + ") or the connection is already gone"));
    Files.writeString(abort, "1");
    LOG.warn("aborted FUSE connection {} ({})", connection, mountpoint);
  }

  /** Detaches the mount (umount2 MNT_DETACH); files still open keep working until closed. */
  public void unmount() throws IOException {
    if (!mounted) {
      return;
    }
    mounted = false;
    if (LibC.get().umount2(mountpoint.toString(), LibC.MNT_DETACH) != 0) {
      int e = LibC.errno();
      if (!Errno.EINVAL.is(e) && !Errno.ENOENT.is(e)) {
        throw new IOException("cannot unmount " + mountpoint + ": " + LibC.describe(e));
      }
    }
    LOG.info("unmounted {} (connection {})", mountpoint, connection);
  }

  /** Unmounts (lazily) and closes the owner's fd. Idempotent. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      unmount();
    } finally {
      LibC.get().close(fd);
    }
  }
}
