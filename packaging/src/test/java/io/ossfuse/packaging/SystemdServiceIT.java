package io.ossfuse.packaging;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import io.ossfuse.localoss.LocalOssServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped unit under a real systemd (PID 1 of a container of the product image plus systemd):
 * it starts the daemon, and a `systemctl restart` or a daemon crash leaves the FUSE child serving and
 * adopted by the next daemon — the reason for KillMode=process.
 */
@Tag("container")
@EnabledIfSystemProperty(named = "ossfuse.dist.built", matches = "true",
        disabledReason = "needs the distribution: runs at integration-test, after package")
class SystemdServiceIT {
    private static final Logger LOG = LoggerFactory.getLogger(SystemdServiceIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MOUNTPOINT = "/mnt/ossfuse/ds";
    private static final String TARGET = "/var/lib/kubelet/pods/uid-1/volumes/kubernetes.io~csi/pv-1/mount";
    private static final String CRED = "/etc/ossfuse/credentials/test";
    private static final String CONTENT = "served across daemon restarts\n";
    private static String image;

    /** Per test, not @BeforeAll: a skip then shows on every test with its reason. */
    @BeforeEach
    void requireEngineAndImage() {
        ContainerEngine.require();
        image = ProductImage.withSystemd();
    }

    @Test
    void restartAndCrashOfTheServiceLeaveTheFuseChildServing() throws Exception {
        runOnNode(Files.readString(Project.unit()), (node, child) -> {
            // systemctl restart: SIGTERM to the daemon only; the child keeps serving and is adopted.
            long daemonBefore = mainPid(node);
            exec(node, "systemctl", "restart", "ossfuse");
            assertEquals(CONTENT, exec(node, "cat", TARGET + "/hello.txt"), "served while the daemon restarts");
            awaitSocket(node);
            assertTrue(mainPid(node) != daemonBefore, "a new daemon runs");
            assertEquals(child, healthyChild(node), "the new daemon adopted the same FUSE child");

            // The daemon crashes: Restart=always starts a new one, the child again survives.
            exec(node, "systemctl", "kill", "--kill-who=main", "--signal=SIGKILL", "ossfuse");
            assertEquals(CONTENT, exec(node, "cat", TARGET + "/hello.txt"), "served while no daemon runs");
            awaitRestarts(node, 1);
            awaitSocket(node);
            assertEquals(child, healthyChild(node), "adopted again after a daemon crash");
            assertEquals(CONTENT, exec(node, "cat", TARGET + "/hello.txt"));
            LOG.info("FUSE child {} served across systemctl restart and a daemon SIGKILL", child);
        });
    }

    /** The control: with KillMode=mixed a plain restart kills the FUSE child, so the test above means something. */
    @Test
    void withKillModeMixedARestartWouldKillTheFuseChild() throws Exception {
        String mixed = Files.readString(Project.unit()).replace("KillMode=process", "KillMode=mixed");
        runOnNode(mixed, (node, child) -> {
            exec(node, "systemctl", "restart", "ossfuse");
            awaitSocket(node);
            long after = healthyChild(node);
            assertTrue(after != child, "KillMode=mixed: child " + child + " was killed and replaced by " + after);
            assertEquals(CONTENT, exec(node, "cat", TARGET + "/hello.txt"), "the daemon recovered the mount");
        });
    }

    private interface Scenario {
        void run(GenericContainer<?> node, long child) throws Exception;
    }

    /**
     * A node (systemd in a container) with the unit installed and enabled, a dataset from the local OSS
     * endpoint mounted through the daemon and bound into a pod volume path; runs the scenario with the
     * serving child's pid.
     */
    private static void runOnNode(String unitText, Scenario scenario) throws Exception {
        Path ossRoot = Files.createTempDirectory("ossfuse-sd-oss");
        try (LocalOssServer oss = LocalOssServer.builder().root(ossRoot).bucket("data").build().start();
             GenericContainer<?> node = new GenericContainer<>(DockerImageName.parse(image))
                     .withNetworkMode("host")
                     .withLabel("io.ossfuse.test", "packaging")
                     .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                             .withCapAdd(Capability.SYS_ADMIN)
                             .withDevices(Device.parse("/dev/fuse")))) {
            Files.createDirectories(oss.bucketDir("data").resolve("ds"));
            Files.writeString(oss.bucketDir("data").resolve("ds/hello.txt"), CONTENT);
            node.start();
            awaitSystemd(node);
            node.copyFileToContainer(Transferable.of(unitText), "/etc/systemd/system/ossfuse.service");
            node.copyFileToContainer(Transferable.of(oss.accessKeyId(), 0600), CRED + "/fs.oss.accessKeyId");
            node.copyFileToContainer(Transferable.of(oss.accessKeySecret(), 0600), CRED + "/fs.oss.accessKeySecret");
            exec(node, "systemctl", "daemon-reload");
            // Type=notify: this returns only after the daemon's READY=1 (or fails after TimeoutStartSec).
            exec(node, "systemctl", "enable", "--now", "ossfuse");
            assertTrue(exec(node, "systemctl", "show", "-p", "StatusText", "--value", "ossfuse")
                    .startsWith("listening on " + DaemonDefaults.CONTROL_SOCKET), "sd_notify STATUS reached systemd");
            awaitSocket(node);
            exec(node, "mkdir", "-p", MOUNTPOINT, TARGET);
            exec(node, "ossfuse", "mount", "oss://data/ds", MOUNTPOINT, "--endpoint", oss.endpoint(), "--cred-dir", CRED);
            exec(node, "ossfuse", "bind", MOUNTPOINT, TARGET);
            long child = healthyChild(node);
            assertEquals(CONTENT, exec(node, "cat", TARGET + "/hello.txt"));
            scenario.run(node, child);
        } finally {
            try (Stream<Path> walk = Files.walk(ossRoot)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void awaitSystemd(GenericContainer<?> c) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String state = "";
        while (System.nanoTime() < deadline) {
            state = c.execInContainer("systemctl", "is-system-running").getStdout().strip();
            if (state.equals("running") || state.equals("degraded")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("systemd did not come up: " + state);
    }

    private static void awaitSocket(GenericContainer<?> c) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (c.execInContainer("test", "-S", DaemonDefaults.CONTROL_SOCKET).getExitCode() == 0
                    && c.execInContainer("ossfuse", "status").getExitCode() == 0) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("daemon did not answer; journal:\n"
                + c.execInContainer("journalctl", "-u", "ossfuse", "--no-pager", "-n", "50").getStdout());
    }

    private static long mainPid(GenericContainer<?> c) throws Exception {
        return Long.parseLong(exec(c, "systemctl", "show", "-p", "MainPID", "--value", "ossfuse").strip());
    }

    private static void awaitRestarts(GenericContainer<?> c, int atLeast) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String n = "";
        while (System.nanoTime() < deadline) {
            n = exec(c, "systemctl", "show", "-p", "NRestarts", "--value", "ossfuse").strip();
            if (Integer.parseInt(n) >= atLeast && "active".equals(
                    c.execInContainer("systemctl", "is-active", "ossfuse").getStdout().strip())) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("systemd did not restart the daemon (NRestarts=" + n + ")");
    }

    private static long healthyChild(GenericContainer<?> c) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            for (JsonNode m : JSON.readTree(exec(c, "ossfuse", "status", "--json"))) {
                if (m.path("mountpoint").asText().equals(MOUNTPOINT)) {
                    last = m;
                    if ("HEALTHY".equals(m.path("state").asText()) && m.path("childPid").canConvertToLong()) {
                        return m.path("childPid").asLong();
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("mount never became healthy: " + last);
    }

    private static String exec(GenericContainer<?> c, String... command) throws Exception {
        ExecResult r = c.execInContainer(command);
        assertEquals(0, r.getExitCode(), String.join(" ", command) + " failed: " + r.getStdout() + r.getStderr());
        return r.getStdout();
    }
}
