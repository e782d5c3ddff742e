package io.ossfuse.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped systemd unit: valid for systemd, and the choices its comments promise. */
class SystemdUnitTest {
  private static final String INSTALL_PREFIX = "/opt/ossfuse/";
  private final UnitFile unit = UnitFile.read(Project.unit());

  @Test
  void systemdAnalyzeVerifyPassesWithoutAnyWarning(@TempDir Path tmp) throws IOException {
    Cmd result = verify(Files.readString(Project.unit()), tmp);
    assertEquals(0, result.exit(), "systemd-analyze verify failed:\n" + result.output());
    assertEquals("", result.output().strip(), "systemd-analyze verify printed warnings");
  }

  /** The check above would catch a mistake: an unknown key and a bad value are reported. */
  @Test
  void systemdAnalyzeVerifyReportsABrokenUnit(@TempDir Path tmp) throws IOException {
    String broken =
        Files.readString(Project.unit())
            .replace("KillMode=process", "KillMode=sometimes")
            .replace("Restart=always", "Restart=always\nRestartEverySecond=yes");
    Cmd result = verify(broken, tmp);
    assertTrue(
        result.output().contains("sometimes") && result.output().contains("RestartEverySecond"),
        "expected both mistakes reported, got:\n" + result.output());
  }

  @Test
  void runsTheDaemonFromTheInstallDirectory() {
    assertEquals(
        INSTALL_PREFIX + "bin/ossfuse daemon $OSSFUSE_DAEMON_ARGS",
        unit.get("Service", "ExecStart"));
    assertEquals("-/etc/default/ossfuse", unit.get("Service", "EnvironmentFile"));
    assertEquals("notify", unit.get("Service", "Type"));
    assertEquals("main", unit.get("Service", "NotifyAccess"));
  }

  @Test
  void restartsAlwaysAndNeverGivesUp() {
    assertEquals("always", unit.get("Service", "Restart"));
    assertEquals("0", unit.get("Unit", "StartLimitIntervalSec"));
    // ...but not on an unreadable state file (StateFileException.EXIT_STATUS): a restart cannot fix
    // it
    assertEquals("78", unit.get("Service", "RestartPreventExitStatus"));
  }

  /**
   * Why process: the daemon adopts live children on start and leaves them serving on SIGTERM, so a
   * restart must not kill them (see the comment in the unit).
   */
  @Test
  void restartSignalsOnlyTheDaemonAndLeavesFuseChildrenServing() {
    assertEquals("process", unit.get("Service", "KillMode"));
    assertEquals("SIGTERM", unit.get("Service", "KillSignal"));
    // daemon and child killed together: systemd's copy of each /dev/fuse fd keeps the mounts alive
    assertTrue(
        Integer.parseInt(unit.get("Service", "FileDescriptorStoreMax")) >= 64,
        "FileDescriptorStoreMax");
  }

  /** Runtime, state and log directories: root-only, and /run/ossfuse is not wiped on restart. */
  @Test
  void keepsRuntimeStateAndLogDirectoriesPrivate() {
    assertEquals("ossfuse", unit.get("Service", "LogsDirectory"));
    assertEquals("0700", unit.get("Service", "LogsDirectoryMode"));
    assertEquals("ossfuse", unit.get("Service", "RuntimeDirectory"));
    assertEquals("0700", unit.get("Service", "RuntimeDirectoryMode"));
    assertEquals("yes", unit.get("Service", "RuntimeDirectoryPreserve"));
    assertEquals("ossfuse", unit.get("Service", "StateDirectory"));
    assertEquals("0700", unit.get("Service", "StateDirectoryMode"));
  }

  /**
   * Hardening must not break mounts: no private mount namespace (mounts would not reach the host or
   * the pods), no device policy (would hide /dev/fuse), no W^X memory (would break the JIT).
   */
  @Test
  void noHardeningOptionThatBreaksMountsOrTheJvm() {
    Set<String> forbidden =
        Set.of(
            "ProtectSystem",
            "ProtectHome",
            "PrivateTmp",
            "PrivateDevices",
            "PrivateMounts",
            "ReadOnlyPaths",
            "ReadWritePaths",
            "InaccessiblePaths",
            "TemporaryFileSystem",
            "BindPaths",
            "BindReadOnlyPaths",
            "ProtectKernelModules",
            "ProtectKernelLogs",
            "ProtectKernelTunables",
            "ProtectControlGroups",
            "ProtectProc",
            "ProcSubset",
            "MountFlags",
            "RootDirectory",
            "RootImage",
            "DynamicUser",
            "DevicePolicy",
            "DeviceAllow",
            "ProtectClock",
            "MemoryDenyWriteExecute",
            "SystemCallFilter",
            "PrivateNetwork",
            "User");
    List<String> found = new ArrayList<>(unit.keys("Service"));
    found.retainAll(forbidden);
    assertEquals(List.of(), found, "options that break FUSE mounts, bind mounts or the JVM");
    assertEquals("yes", unit.get("Service", "NoNewPrivileges"));
    assertTrue(
        unit.get("Service", "CapabilityBoundingSet").contains("CAP_SYS_ADMIN"),
        "mount needs CAP_SYS_ADMIN");
  }

  /**
   * Runs `systemd-analyze verify` on the unit text. ExecStart must point at an executable, so the
   * install prefix is rewritten to a stub launcher under {@code tmp}; everything else is verified
   * as shipped.
   */
  private static Cmd verify(String unitText, Path tmp) throws IOException {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/systemd-analyze"))
            || Files.isExecutable(Path.of("/bin/systemd-analyze")),
        "SKIPPED: systemd-analyze is not installed (package systemd); the unit file was not verified");
    Path prefix = tmp.resolve("opt/ossfuse");
    Path launcher = prefix.resolve("bin/ossfuse");
    Files.createDirectories(launcher.getParent());
    Files.writeString(launcher, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertTrue(unitText.contains(INSTALL_PREFIX), "unit does not use " + INSTALL_PREFIX);
    Path copy = tmp.resolve("ossfuse.service");
    Files.writeString(copy, unitText.replace(INSTALL_PREFIX, prefix + "/"));
    Cmd result =
        Cmd.run(
            List.of("systemd-analyze", "verify", "--man=no", copy.toString()),
            Map.of("SYSTEMD_LOG_COLOR", "0"),
            60);
    assertNotEquals(127, result.exit(), result.output());
    return result;
  }
}
