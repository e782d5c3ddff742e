package io.ossfuse.recovery;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's {@code sd_notify} without libsystemd or a helper process: one datagram on the AF_UNIX
 * socket named by {@code $NOTIFY_SOCKET} (a path, or an abstract name starting with '@'), sent
 * through libc with jnr-ffi — the JDK has stream Unix sockets only. Lets the unit use Type=notify,
 * so `systemctl start` returns once the daemon really listens, and lets the daemon hand its
 * /dev/fuse fds to systemd's file descriptor store ({@link #sendWithFd}, SCM_RIGHTS).
 */
public final class SdNotify {
  private static final Logger LOG = LoggerFactory.getLogger(SdNotify.class);
  static final int AF_UNIX = 1;
  static final int SOCK_DGRAM = 2;
  static final int SOCK_CLOEXEC = 02000000;

  /** sizeof(struct sockaddr_un): sa_family_t plus 108 bytes of path. */
  static final int SOCKADDR_UN_SIZE = 110;

  private SdNotify() {}

  /**
   * Sends {@code state} (e.g. "READY=1\nSTATUS=...") when the environment names a notify socket.
   * Returns whether it was sent; a failure is logged, never thrown: readiness is a courtesy.
   */
  public static boolean notify(Map<String, String> env, String state) {
    String socket = env.get("NOTIFY_SOCKET");
    if (socket == null || socket.isEmpty()) {
      return false;
    }
    try {
      send(socket, state);
      return true;
    } catch (RuntimeException | LinkageError e) {
      LOG.warn("could not notify systemd at {}: {}", socket, e.getMessage());
      return false;
    }
  }

  /** One datagram to the socket; IllegalStateException with the errno text on failure. */
  static void send(String socket, String state) {
    LibC libc = LibC.INSTANCE;
    byte[] addr = address(socket);
    byte[] message = state.getBytes(StandardCharsets.UTF_8);
    int fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw new IllegalStateException("socket: " + libc.strerror(errno()));
    }
    try {
      long sent = libc.sendto(fd, message, message.length, 0, addr, addrLength(socket));
      if (sent != message.length) {
        throw new IllegalStateException("sendto " + socket + ": " + libc.strerror(errno()));
      }
    } finally {
      libc.close(fd);
    }
  }

  static final int SOL_SOCKET = 1;
  static final int SCM_RIGHTS = 1;

  /**
   * One datagram carrying {@code fd} as SCM_RIGHTS (what sd_pid_notify_with_fds does), for
   * "FDSTORE=1". The receiver gets its own copy; ours stays open. IllegalStateException on failure.
   */
  static void sendWithFd(String socket, String state, int fd) {
    LibC libc = LibC.INSTANCE;
    Runtime rt = Runtime.getRuntime(libc);
    if (rt.addressSize() != 8) {
      throw new IllegalStateException(
          "passing fds to systemd is implemented for 64-bit Linux only");
    }
    byte[] addr = address(socket);
    byte[] message = state.getBytes(StandardCharsets.UTF_8);
    Pointer name = Memory.allocateDirect(rt, addr.length, true);
    name.put(0, addr, 0, addr.length);
    Pointer data = Memory.allocateDirect(rt, Math.max(1, message.length), true);
    data.put(0, message, 0, message.length);
    // struct iovec { void *base; size_t len; }
    Pointer iov = Memory.allocateDirect(rt, 16, true);
    iov.putAddress(0, data.address());
    iov.putLong(8, message.length);
    // struct cmsghdr { size_t len; int level; int type; } + one int, padded: CMSG_SPACE(4) = 24
    Pointer control = Memory.allocateDirect(rt, 24, true);
    control.putLong(0, 16 + 4);
    control.putInt(8, SOL_SOCKET);
    control.putInt(12, SCM_RIGHTS);
    control.putInt(16, fd);
    // struct msghdr { name, namelen, iov, iovlen, control, controllen, flags } on LP64
    Pointer msg = Memory.allocateDirect(rt, 56, true);
    msg.putAddress(0, name.address());
    msg.putInt(8, addrLength(socket));
    msg.putAddress(16, iov.address());
    msg.putLong(24, 1);
    msg.putAddress(32, control.address());
    msg.putLong(40, 24);
    int sock = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
      throw new IllegalStateException("socket: " + libc.strerror(errno()));
    }
    try {
      long sent = libc.sendmsg(sock, msg, 0);
      if (sent != message.length) {
        throw new IllegalStateException("sendmsg " + socket + ": " + libc.strerror(errno()));
      }
    } finally {
      libc.close(sock);
    }
  }

  /** struct sockaddr_un for a path or an abstract ('@') name. */
  static byte[] address(String socket) {
    byte[] path = socket.getBytes(StandardCharsets.UTF_8);
    if (path.length >= SOCKADDR_UN_SIZE - 2) {
      throw new IllegalArgumentException("NOTIFY_SOCKET is too long: " + socket);
    }
    byte[] addr = new byte[SOCKADDR_UN_SIZE];
    // sa_family_t is a native-order 16-bit integer
    boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    addr[little ? 0 : 1] = (byte) AF_UNIX;
    System.arraycopy(path, 0, addr, 2, path.length);
    if (path[0] == '@') {
      addr[2] = 0; // abstract namespace
    }
    return addr;
  }

  /** Family plus the name; a path also counts its terminating NUL, an abstract name does not. */
  static int addrLength(String socket) {
    int n = socket.getBytes(StandardCharsets.UTF_8).length;
    return 2 + n + (socket.startsWith("@") ? 0 : 1);
  }

  static int errno() {
    return Runtime.getSystemRuntime().getLastError();
  }

  /**
   * The libc calls used here (and by the test's receiving end). Public for jnr-ffi's generated
   * code.
   */
  public interface LibC {
    LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

    int socket(int domain, int type, int protocol);

    @ssize_t
    long sendto(int fd, @In byte[] buf, @size_t long len, int flags, @In byte[] addr, int addrlen);

    int bind(int fd, @In byte[] addr, int addrlen);

    @ssize_t
    long recv(int fd, @Out byte[] buf, @size_t long len, int flags);

    @ssize_t
    long sendmsg(int fd, Pointer msg, int flags);

    @ssize_t
    long recvmsg(int fd, Pointer msg, int flags);

    /** struct pollfd[] as bytes: int fd, short events, short revents. */
    int poll(@In @Out byte[] fds, long nfds, int timeout);

    int fcntl(int fd, int cmd, int arg);

    int open(String path, int flags);

    int close(int fd);

    String strerror(int errnum);
  }
}
