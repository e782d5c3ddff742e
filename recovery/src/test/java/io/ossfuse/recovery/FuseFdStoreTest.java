package io.ossfuse.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's side of systemd's fd store without systemd: this test is the notify socket (and
 * receives the fds the way systemd does, SCM_RIGHTS), and plays systemd's hand-back (LISTEN_*).
 */
class FuseFdStoreTest {
  private static final SdNotify.LibC LIBC = SdNotify.LibC.INSTANCE;
  @TempDir Path tmp;
  private final List<Integer> opened = new ArrayList<>();

  @AfterEach
  void closeFds() {
    for (int fd : opened) LIBC.close(fd);
  }

  @Test
  void handedBackFdsAreTheOnesForThisProcessNamedByMountAndConnection() {
    Map<String, String> env =
        Map.of(
            "LISTEN_PID",
            "4242",
            "LISTEN_FDS",
            "3",
            "LISTEN_FDNAMES",
            "mnt_ossfuse_ds-1a2b.57:mnt_a.b-ff.3:stray");
    List<FuseFdStore.Stored> fds = FuseFdStore.listenFds(env, 4242);
    assertEquals(
        List.of(
            new FuseFdStore.Stored("mnt_ossfuse_ds-1a2b.57", "mnt_ossfuse_ds-1a2b", 57, 3),
            new FuseFdStore.Stored("mnt_a.b-ff.3", "mnt_a.b-ff", 3, 4),
            new FuseFdStore.Stored("stray", null, -1, 5)),
        fds);
    assertEquals(
        List.of(),
        FuseFdStore.listenFds(env, 4243),
        "LISTEN_PID names another process (a child inherited it)");
    assertEquals(List.of(), FuseFdStore.listenFds(Map.of(), 4242), "not started by systemd");
  }

  @Test
  void theNameIsTheMountIdAndTheConnectionNumber() {
    MountSpec spec =
        new MountSpec(
            "oss://bucket/ds",
            "/mnt/ossfuse/ds",
            "raw",
            "ossfuse",
            new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode());
    String name = FuseFdStore.name(spec.id(), 57);
    assertEquals(spec.id() + ".57", name);
    assertTrue(
        name.length() <= 255
            && !name.contains(":")
            && name.chars().allMatch(c -> c > 32 && c < 127),
        "a valid systemd FDNAME: " + name);
  }

  @Test
  void storeSendsTheFdAndItsNameRemoveSendsTheName() throws Exception {
    String socket = tmp.resolve("notify.sock").toString();
    int rx = bind(socket);
    Path file = Files.writeString(tmp.resolve("connection"), "x");
    int fd = open(file);
    FuseFdStore store = new FuseFdStore(socket, List.of());
    assertTrue(store.enabled());

    store.store("mnt-1a", 57, fd);
    Received r = receive(rx);
    assertEquals("FDSTORE=1\nFDNAME=mnt-1a.57", r.text());
    assertTrue(r.fd() >= 0, "an fd came with the message");
    opened.add(r.fd());
    assertEquals(
        Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)),
        Files.readSymbolicLink(Path.of("/proc/self/fd/" + r.fd())),
        "systemd gets the same open file");

    store.remove("mnt-1a", 57);
    r = receive(rx);
    assertEquals("FDSTOREREMOVE=1\nFDNAME=mnt-1a.57", r.text());
    assertEquals(-1, r.fd());
  }

  @Test
  void withoutNotifySocketNothingIsStored() throws Exception {
    FuseFdStore store = FuseFdStore.fromEnvironment(Map.of(), ProcessHandle.current().pid());
    assertFalse(store.enabled());
    store.store("mnt-1a", 57, open(Files.writeString(tmp.resolve("f"), "x")));
    store.remove("mnt-1a", 57);
    assertEquals(List.of(), store.claim("mnt-1a"));
  }

  @Test
  void aMountClaimsItsFdsAndTheUnclaimedOnesAreClosedAndRemoved() throws Exception {
    String socket = tmp.resolve("notify.sock").toString();
    int rx = bind(socket);
    int mine = open(Files.writeString(tmp.resolve("a"), "a"));
    int gone = open(Files.writeString(tmp.resolve("b"), "b"));
    FuseFdStore store =
        new FuseFdStore(
            socket,
            List.of(
                new FuseFdStore.Stored("mnt-1a.57", "mnt-1a", 57, mine),
                new FuseFdStore.Stored("old-2b.9", "old-2b", 9, gone)));
    assertEquals(
        List.of(new FuseFdStore.Stored("mnt-1a.57", "mnt-1a", 57, mine)), store.claim("mnt-1a"));
    assertEquals(List.of(), store.claim("mnt-1a"), "claimed once");

    store.releaseUnclaimed();
    assertEquals("FDSTOREREMOVE=1\nFDNAME=old-2b.9", receive(rx).text());
    assertTrue(LIBC.fcntl(gone, 1 /* F_GETFD */, 0) < 0, "the unwanted connection's fd is closed");
    assertTrue(LIBC.fcntl(mine, 1, 0) >= 0, "the claimed one stays open");
    assertFalse(FuseFdStore.dead(mine));
  }

  private int open(Path file) {
    int fd = LIBC.open(file.toString(), 02000000 /* O_RDONLY | O_CLOEXEC */);
    assertTrue(fd >= 0, "open " + file);
    opened.add(fd);
    return fd;
  }

  private int bind(String socket) {
    int fd = LIBC.socket(SdNotify.AF_UNIX, SdNotify.SOCK_DGRAM | SdNotify.SOCK_CLOEXEC, 0);
    assertTrue(fd >= 0, "socket");
    opened.add(fd);
    assertEquals(
        0,
        LIBC.bind(fd, SdNotify.address(socket), SdNotify.addrLength(socket)),
        () -> "bind: " + LIBC.strerror(SdNotify.errno()));
    return fd;
  }

  private record Received(String text, int fd) {}

  /** recvmsg with room for one SCM_RIGHTS fd, as systemd's manager does. */
  private static Received receive(int sock) {
    Runtime rt = Runtime.getRuntime(LIBC);
    Pointer data = Memory.allocateDirect(rt, 4096, true);
    Pointer iov = Memory.allocateDirect(rt, 16, true);
    iov.putAddress(0, data.address());
    iov.putLong(8, 4096);
    Pointer control = Memory.allocateDirect(rt, 64, true);
    Pointer msg = Memory.allocateDirect(rt, 56, true);
    msg.putAddress(16, iov.address());
    msg.putLong(24, 1);
    msg.putAddress(32, control.address());
    msg.putLong(40, 64);
    long n = LIBC.recvmsg(sock, msg, 0x40 /* MSG_DONTWAIT */);
    assertTrue(n >= 0, () -> "recvmsg: " + LIBC.strerror(SdNotify.errno()));
    byte[] bytes = new byte[(int) n];
    data.get(0, bytes, 0, bytes.length);
    int fd = -1;
    long controlLen = msg.getLong(40);
    if (controlLen >= 20
        && control.getInt(8) == SdNotify.SOL_SOCKET
        && control.getInt(12) == SdNotify.SCM_RIGHTS) {
      fd = control.getInt(16);
    }
    return new Received(new String(bytes, StandardCharsets.UTF_8), fd);
  }
}
