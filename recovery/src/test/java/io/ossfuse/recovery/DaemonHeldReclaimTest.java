package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.dev.FuseDevice;
import io.ossfuse.mount.MountOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted daemon serving on a connection systemd kept (real /dev/fuse mount, no server: nothing
 * here touches the mountpoint, only /proc/self/mountinfo): the fd of the connection still mounted
 * is taken and no remount happens; fds of other or aborted connections are closed.
 */
class DaemonHeldReclaimTest {
  private static final SdNotify.LibC LIBC = SdNotify.LibC.INSTANCE;
  private static final int F_GETFD = 1;
  private static final int F_DUPFD_CLOEXEC = 1030;
  @TempDir Path tmp;
  private final MountOps ops = new MountOps(Duration.ofSeconds(3));
  private Path mnt;
  private MountSpec spec;
  private FuseDevice device;
  private DaemonHeld held;

  @BeforeEach
  void mount() throws Exception {
    Assumptions.assumeTrue(
        Files.isWritable(Path.of("/dev/fuse")) && "root".equals(System.getProperty("user.name")),
        "needs root and /dev/fuse");
    mnt = Files.createDirectories(tmp.resolve("mnt"));
    MountOptions o =
        MountOptions.builder("oss://bucket/d", mnt.toString(), "http://127.0.0.1:1")
            .transport("raw")
            .build();
    spec =
        new MountSpec(
            o.source(),
            mnt.toString(),
            "raw",
            MountSpec.DRIVER_OSSFUSE,
            Json.mapper().readTree(o.toJson()));
    device = FuseDevice.mount(mnt, FuseMountConfig.of("ossfuse:bucket/d", false));
  }

  @AfterEach
  void unmount() throws Exception {
    if (held != null) held.close();
    if (device != null) device.close();
    if (mnt != null) ops.cleanFuseMount(mnt);
    assertTrue(ops.fuseAt(mnt == null ? tmp : mnt).isEmpty(), "no FUSE mount left");
  }

  @Test
  void theStoredFdOfTheLiveConnectionIsServedOnWithoutRemount() throws Exception {
    int connection = device.connection();
    int kept = dup(device.fd());
    int other = dup(device.fd());
    held = new DaemonHeld(spec, ops, tmp.resolve("session"), FuseFdStore.none());
    held.reclaim(
        List.of(
            new FuseFdStore.Stored(
                spec.id() + "." + (connection + 1000), spec.id(), connection + 1000, other),
            new FuseFdStore.Stored(spec.id() + "." + connection, spec.id(), connection, kept)),
        "session-1");

    assertEquals(
        "session-1", held.session(), "the state file's session goes on (the child takes it over)");
    assertTrue(LIBC.fcntl(other, F_GETFD, 0) < 0, "the fd stored for another connection is closed");
    held.prepare();
    assertEquals(connection, ops.fuseAt(mnt).orElseThrow().minor(), "same connection: no remount");
    assertEquals(
        1,
        MountOps.mounts().entries().stream()
            .filter(e -> e.mountPoint().equals(mnt.toString()))
            .count());
  }

  @Test
  void anAbortedConnectionIsNotTaken() throws Exception {
    int stale = dup(device.fd());
    assertTrue(ops.abortConnection(device.connection()), "fusectl abort");
    assertTrue(FuseFdStore.dead(stale));
    held = new DaemonHeld(spec, ops, tmp.resolve("session"), FuseFdStore.none());
    held.reclaim(
        List.of(
            new FuseFdStore.Stored(
                spec.id() + "." + device.connection(), spec.id(), device.connection(), stale)),
        "session-1");
    assertNull(held.session(), "nothing reclaimed: the next child gets a fresh mount");
    assertTrue(LIBC.fcntl(stale, F_GETFD, 0) < 0, "the dead connection's fd is closed");
  }

  private static int dup(int fd) {
    int copy = LIBC.fcntl(fd, F_DUPFD_CLOEXEC, 3);
    assertTrue(copy >= 0, "dup");
    return copy;
  }
}
