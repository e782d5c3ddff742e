package io.ossfuse.recovery;

import io.ossfuse.fuse.FuseMountConfig;
import io.ossfuse.fuse.MountInfo;
import io.ossfuse.fuse.dev.ChildFd;
import io.ossfuse.fuse.dev.FuseDevice;
import io.ossfuse.fuse.dev.Standby;
import io.ossfuse.fuse.raw.ErrorResponder;
import io.ossfuse.fuse.raw.SessionState;
import io.ossfuse.mount.MountOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon holds the /dev/fuse connection ({@code raw} transport): it mounts with {@code fd=N}
 * once and hands the fd to every child as its stdin. A child's death leaves the mount and every
 * bind alive; the next child (or the pre-started standby) takes the session over — INIT skipped,
 * FUSE_NOTIFY_RESEND for the requests the dead child had read — so readers see a pause, not an
 * error.
 *
 * <p>After a daemon restart only the adopted child holds the connection; {@link #adopt} copies the
 * fd back out of it (pidfd_getfd), so the next child death is seamless again.
 *
 * <p>Under systemd every connection is also in the unit's fd store ({@link FuseFdStore}): if daemon
 * and child die together, systemd's copy keeps the connection alive, and the restarted daemon
 * {@link #reclaim}s it from what systemd handed back, so readers stall instead of failing.
 */
final class DaemonHeld implements Connection {
  private static final Logger log = LoggerFactory.getLogger(DaemonHeld.class);
  private final MountSpec spec;
  private final MountOps ops;
  private final Path sessionDir;
  private final FuseMountConfig mountConfig;
  private final FuseFdStore fdStore;
  private FuseDevice device;
  private int fd = -1;
  private int minor = -1;
  private String sessionId;
  private int standbys;
  private ErrorResponder responder;

  DaemonHeld(MountSpec spec, MountOps ops, Path sessionDir, FuseFdStore fdStore) {
    this.spec = spec;
    this.fdStore = fdStore;
    this.ops = ops;
    this.sessionDir = sessionDir;
    MountOptions o = MountOptions.fromJson(spec.options().toString());
    this.mountConfig =
        new FuseMountConfig(
            fsName(o),
            o.allowOther(),
            1 << 20,
            Duration.ofMillis(o.metadataTtlMillis()),
            Duration.ofMillis(o.negativeTtlMillis()),
            null);
    // Standbys of an earlier daemon are killed when supervision starts: their FIFOs are stale.
    try {
      int stale = Standby.removeStale(sessionDir);
      if (stale > 0)
        log.info("removed {} stale standby FIFO entries of {}", stale, spec.mountpoint());
    } catch (IOException e) {
      log.warn("cannot clean stale standby FIFOs in {}: {}", sessionDir, e.getMessage());
    }
  }

  /** As {@code MountedFileSystem.fsName()}: {@code ossfuse:bucket/dir}. */
  private static String fsName(MountOptions o) {
    var u = o.ossUri();
    String dir = u.prefix().isEmpty() ? "" : u.prefix().substring(0, u.prefix().length() - 1);
    return "ossfuse:" + u.bucket() + (dir.isEmpty() ? "" : "/" + dir);
  }

  @Override
  public String session() {
    return sessionId;
  }

  /**
   * After a daemon restart under systemd: takes the fd systemd kept for the connection that is
   * still mounted here (same connection number, not aborted), so that connection goes on even when
   * its child died with the old daemon. Every other handed-back fd of this mount is closed.
   */
  void reclaim(List<FuseFdStore.Stored> stored, String session) {
    Optional<MountInfo.Entry> live = ops.fuseAt(spec.mountpointPath());
    FuseFdStore.Stored use = null;
    if (live.isPresent() && session != null) {
      for (FuseFdStore.Stored s : stored) {
        if (use == null && s.minor() == live.get().minor() && !FuseFdStore.dead(s.fd())) use = s;
      }
    }
    for (FuseFdStore.Stored s : stored) {
      if (s != use) fdStore.discard(s, use != null && s.name().equals(use.name()));
    }
    if (use == null) return;
    fd = use.fd();
    minor = use.minor();
    sessionId = session;
    log.info(
        "took the FUSE connection of {} back from systemd's fd store (connection {}, fd {})",
        spec.mountpoint(),
        minor,
        fd);
  }

  @Override
  public void adopt(long childPid, String session) {
    if (fd >= 0) return; // reclaimed from systemd already
    Optional<MountInfo.Entry> live = ops.fuseAt(spec.mountpointPath());
    if (live.isEmpty() || session == null) return;
    try {
      fd = PidFd.take(childPid, 0);
      minor = live.get().minor();
      sessionId = session;
      log.info(
          "took the FUSE connection of {} back from child {} (fd {})",
          spec.mountpoint(),
          childPid,
          fd);
      fdStore.store(spec.id(), minor, fd);
    } catch (IOException | RuntimeException e) {
      log.warn(
          "cannot take the FUSE connection of {} back from child {} ({}); its death will remount",
          spec.mountpoint(),
          childPid,
          e.getMessage());
    }
  }

  private boolean alive() {
    return fd >= 0 && ops.fuseAt(spec.mountpointPath()).map(e -> e.minor() == minor).orElse(false);
  }

  @Override
  public void prepare() throws IOException {
    stopAnswering(); // before any child reads: it must see every request the responder did not
    // answer
    if (alive()) return;
    release();
    ops.cleanFuseMount(spec.mountpointPath());
    Files.createDirectories(spec.mountpointPath());
    device = FuseDevice.mount(spec.mountpointPath(), mountConfig);
    fd = device.fd();
    minor = device.connection();
    sessionId = device.sessionId();
    fdStore.store(spec.id(), minor, fd);
  }

  @Override
  public Process start(ProcessBuilder pb) throws IOException {
    Files.createDirectories(sessionDir);
    io.ossfuse.fuse.raw.ExitNotes.prepare(sessionDir);
    pb.environment().putAll(new SessionState(sessionDir, sessionId).environment());
    return ChildFd.start(pb, fd);
  }

  @Override
  public void noteExit(long pid, boolean onItsOwn, String reason) {
    try {
      io.ossfuse.fuse.raw.ExitNotes.write(sessionDir, pid, onItsOwn, reason);
    } catch (IOException e) {
      log.warn(
          "cannot note how child {} of {} ended in {}: {}",
          pid,
          spec.mountpoint(),
          sessionDir,
          e.getMessage());
    }
  }

  @Override
  public void afterChildDeath() {
    // The connection stays: requests the dead child had read are re-sent to its successor.
  }

  @Override
  public Optional<Standby> prepareStandby() throws IOException {
    if (!alive()) return Optional.empty();
    return Optional.of(Standby.prepare(sessionDir, Standby.PREFIX + (++standbys)));
  }

  @Override
  public boolean activateStandby(Standby s) throws IOException {
    stopAnswering();
    return alive() && s.activate();
  }

  @Override
  public boolean answerErrorsWhileDown() {
    if (responder != null) return true;
    if (!alive() || sessionId == null) return false;
    try {
      Optional<ErrorResponder> r =
          ErrorResponder.start(fd, new SessionState(sessionDir, sessionId), spec.mountpoint());
      if (r.isEmpty()) {
        log.info(
            "{}: the connection was never initialized; requests wait for the next child",
            spec.mountpoint());
        return false;
      }
      responder = r.get();
      return true;
    } catch (IOException | RuntimeException e) {
      log.warn(
          "cannot answer requests of {} while no child serves ({}); they wait for the next child",
          spec.mountpoint(),
          e.getMessage());
      return false;
    }
  }

  private void stopAnswering() {
    ErrorResponder r = responder;
    if (r == null) return;
    responder = null;
    r.close();
    log.info(
        "{}: answered {} requests with EIO while no child served", spec.mountpoint(), r.answered());
  }

  @Override
  public void close() {
    stopAnswering();
    release();
    ops.cleanFuseMount(spec.mountpointPath());
  }

  private void release() {
    if (fd >= 0) fdStore.remove(spec.id(), minor);
    try {
      if (device != null) {
        device.close();
      } else if (fd >= 0) {
        PidFd.close(fd);
      }
    } catch (IOException e) {
      log.warn("closing the FUSE connection of {}: {}", spec.mountpoint(), e.getMessage());
    }
    device = null;
    fd = -1;
    minor = -1;
  }
}
