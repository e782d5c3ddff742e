package io.ossfuse.recovery;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's file descriptor store for daemon-held FUSE connections: the daemon hands each mount's
 * /dev/fuse fd to systemd ("FDSTORE=1", name {@code <mount id>.<connection>}), so when daemon and
 * child die together the kernel still sees an open fd and keeps the connection (and every bind of
 * it) alive; readers wait instead of failing. systemd gives the fds back to the restarted daemon
 * (LISTEN_FDS/LISTEN_FDNAMES), which serves the same connection on. A connection that is unmounted
 * or replaced is removed ("FDSTOREREMOVE=1"), else systemd would keep it alive.
 *
 * <p>Without {@code $NOTIFY_SOCKET} (not under systemd) nothing is sent and nothing is handed back.
 */
final class FuseFdStore {
  private static final Logger log = LoggerFactory.getLogger(FuseFdStore.class);

  /** sd_listen_fds: handed-over fds start at 3. */
  static final int LISTEN_FDS_START = 3;

  private static final int F_SETFD = 2;
  private static final int FD_CLOEXEC = 1;
  private static final short POLLERR = 0x8;
  private static final short POLLHUP = 0x10;
  private static final short POLLNVAL = 0x20;

  /**
   * A connection fd systemd handed back: {@code minor} is the FUSE connection it was stored for.
   */
  record Stored(String name, String mountId, int minor, int fd) {}

  private final String socket;
  private final List<Stored> handedBack;

  FuseFdStore(String socket, List<Stored> handedBack) {
    this.socket = socket == null || socket.isEmpty() ? null : socket;
    this.handedBack = new ArrayList<>(handedBack);
  }

  static FuseFdStore none() {
    return new FuseFdStore(null, List.of());
  }

  /** From the daemon's environment: the notify socket, and the fds handed to this very process. */
  static FuseFdStore fromEnvironment(Map<String, String> env, long pid) {
    List<Stored> fds = listenFds(env, pid);
    for (Stored s : fds) SdNotify.LibC.INSTANCE.fcntl(s.fd(), F_SETFD, FD_CLOEXEC);
    if (!fds.isEmpty())
      log.info(
          "systemd handed back {} stored FUSE connection(s): {}",
          fds.size(),
          fds.stream().map(Stored::name).toList());
    return new FuseFdStore(env.get("NOTIFY_SOCKET"), fds);
  }

  /**
   * The fds of LISTEN_FDS/LISTEN_FDNAMES when LISTEN_PID is {@code pid} (sd_listen_fds_with_names).
   * A name that is not {@code <mount id>.<connection>} gets a null mount id (closed unclaimed).
   */
  static List<Stored> listenFds(Map<String, String> env, long pid) {
    String forPid = env.get("LISTEN_PID");
    String count = env.get("LISTEN_FDS");
    if (forPid == null || count == null || !forPid.strip().equals(Long.toString(pid)))
      return List.of();
    int n;
    try {
      n = Integer.parseInt(count.strip());
    } catch (NumberFormatException e) {
      return List.of();
    }
    String[] names = env.getOrDefault("LISTEN_FDNAMES", "").split(":", -1);
    List<Stored> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = i < names.length ? names[i] : "unknown";
      out.add(parse(name, LISTEN_FDS_START + i));
    }
    return out;
  }

  static String name(String mountId, int minor) {
    return mountId + "." + minor;
  }

  private static Stored parse(String name, int fd) {
    int dot = name.lastIndexOf('.');
    if (dot > 0) {
      try {
        return new Stored(
            name, name.substring(0, dot), Integer.parseInt(name.substring(dot + 1)), fd);
      } catch (NumberFormatException ignored) {
        // not one of ours
      }
    }
    return new Stored(name, null, -1, fd);
  }

  boolean enabled() {
    return socket != null;
  }

  /** Hands {@code fd} (a connection of mount {@code mountId}) to systemd; a failure is logged. */
  void store(String mountId, int minor, int fd) {
    if (socket == null) return;
    String name = name(mountId, minor);
    try {
      SdNotify.sendWithFd(socket, "FDSTORE=1\nFDNAME=" + name, fd);
      log.info("stored the FUSE connection {} with systemd", name);
    } catch (RuntimeException | LinkageError e) {
      log.warn(
          "cannot store the FUSE connection {} with systemd ({}): a crash of daemon and child together will remount it",
          name,
          e.getMessage());
    }
  }

  /** Drops a stored connection: systemd would keep it alive otherwise. */
  void remove(String mountId, int minor) {
    removeName(name(mountId, minor));
  }

  private void removeName(String name) {
    if (socket == null) return;
    try {
      SdNotify.send(socket, "FDSTOREREMOVE=1\nFDNAME=" + name);
    } catch (RuntimeException | LinkageError e) {
      log.warn(
          "cannot remove the FUSE connection {} from systemd's fd store: {}", name, e.getMessage());
    }
  }

  /**
   * The handed-back fds stored for {@code mountId}; the caller owns (and closes) them from now on.
   */
  synchronized List<Stored> claim(String mountId) {
    List<Stored> mine = handedBack.stream().filter(s -> mountId.equals(s.mountId())).toList();
    handedBack.removeAll(mine);
    return mine;
  }

  /**
   * Closes and un-stores every handed-back fd no mount claimed: their mounts are no longer wanted.
   */
  synchronized void releaseUnclaimed() {
    for (Stored s : handedBack) {
      log.info(
          "closing the stored FUSE connection {}: no mount of the state file uses it", s.name());
      removeName(s.name());
      SdNotify.LibC.INSTANCE.close(s.fd());
    }
    handedBack.clear();
  }

  /**
   * Closes a handed-back fd its mount does not use (a dead or replaced connection); un-stores it
   * too unless {@code keepName}: the name is also the one of the connection in use.
   */
  void discard(Stored s, boolean keepName) {
    if (!keepName) removeName(s.name());
    SdNotify.LibC.INSTANCE.close(s.fd());
  }

  /** True if the fd's connection was aborted or unmounted (poll: POLLERR/POLLHUP/POLLNVAL). */
  static boolean dead(int fd) {
    byte[] pfd = new byte[8];
    java.nio.ByteBuffer.wrap(pfd).order(java.nio.ByteOrder.nativeOrder()).putInt(0, fd);
    if (SdNotify.LibC.INSTANCE.poll(pfd, 1, 0) < 0) return true;
    short revents =
        java.nio.ByteBuffer.wrap(pfd).order(java.nio.ByteOrder.nativeOrder()).getShort(6);
    return (revents & (POLLERR | POLLHUP | POLLNVAL)) != 0;
  }
}
