package io.ossfuse.packaging;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.PropagationMode;
import com.github.dockerjava.api.model.SELContext;
import com.github.dockerjava.api.model.Volume;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.utility.DockerImageName;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The product's container image, built from its own Dockerfile over the built distribution and run
 * for real (podman through its Docker API; see scripts/setup-podman).
 */
@Tag("container")
@EnabledIfSystemProperty(named = "ossfuse.dist.built", matches = "true",
        disabledReason = "needs the distribution: runs at integration-test, after package")
class ContainerIT {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerIT.class);
    private static String image;

    @BeforeAll
    static void buildImage() {
        ContainerEngine.require();
        long start = System.nanoTime();
        // Kept after the run (deleteOnExit=false): the apt layer is then reused by the next build.
        image = new ImageFromDockerfile("localhost/ossfuse-it:" + Project.version().toLowerCase(Locale.ROOT), false)
                .withFileFromPath(".", Project.distDir())
                .withDockerfilePath("docker/Dockerfile")
                .get();
        LOG.info("image {} built in {} ms", image, (System.nanoTime() - start) / 1_000_000);
    }

    @Test
    void imageRunsTheLauncher() throws Exception {
        try (GenericContainer<?> c = idle(null)) {
            c.start();
            ExecResult help = c.execInContainer("ossfuse", "--help");
            assertEquals(0, help.getExitCode(), help.getStdout() + help.getStderr());
            assertTrue(help.getStdout().contains("daemon"), "usage lists the daemon command:\n" + help.getStdout());
            ExecResult java = c.execInContainer("java", "-version");
            assertTrue(java.getStderr().contains("version \"17"), java.getStderr());
            ExecResult fusermount = c.execInContainer("fusermount3", "-V");
            assertEquals(0, fusermount.getExitCode(), fusermount.getStderr());
        }
    }

    /** The Bidirectional/rshared path works: a mount made in the container shows on the host. */
    @Test
    void mountMadeInsideTheContainerIsVisibleOnTheHost() throws Exception {
        try (SharedHostDir shared = SharedHostDir.create("ossfuse-ct");
             GenericContainer<?> c = idle(shared)) {
            c.start();
            Path m = shared.resolve("m");
            ExecResult r = c.execInContainer("sh", "-c",
                    "mkdir -p " + m + " && mount -t tmpfs ct " + m + " && echo made-inside > " + m + "/f");
            assertEquals(0, r.getExitCode(), r.getStderr());
            assertEquals("made-inside\n", Files.readString(m.resolve("f")));
            assertTrue(shared.mountsUnder().contains(m.toString()), "host mount table lacks " + m);
        }
    }

    /**
     * The host directory at the same path inside, with rshared propagation (Kubernetes:
     * Bidirectional). Not Bind.parse("a:b:rshared"): docker-java drops the propagation mode there.
     */
    static Bind rshared(Path dir) {
        return new Bind(dir.toString(), new Volume(dir.toString()), AccessMode.rw, SELContext.none, null,
                PropagationMode.RSHARED);
    }

    /** A container of the image that sleeps, with FUSE rights, the host network and the shared dir. */
    private static GenericContainer<?> idle(SharedHostDir shared) {
        return new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host")
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withEntrypoint("sleep", "infinity");
                    cmd.getHostConfig().withCapAdd(Capability.SYS_ADMIN).withDevices(Device.parse("/dev/fuse"));
                    if (shared != null) {
                        cmd.getHostConfig().withBinds(rshared(shared.path()));
                    }
                });
    }
}
