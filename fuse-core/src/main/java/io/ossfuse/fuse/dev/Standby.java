package io.ossfuse.fuse.dev;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pre-started serving child that waits, fully started, until the active one dies: the takeover
 * then costs milliseconds instead of a JVM start-up.
 *
 * <p>Owner side: {@link #prepare} makes a FIFO, the standby child is spawned like any child
 * ({@link ChildFd#start}) with {@link #environment()} added; when the active child has exited
 * (never before: the standby re-queues everything the kernel had handed out), {@link #activate()}.
 * Child side: {@link #awaitActivation} blocks before the child touches the fuse fd
 * ({@code RawFuseTransport.serveStdin} does it when the variable is set).
 */
public final class Standby {
    public static final String ENV_FIFO = "OSSFUSE_FUSE_STANDBY_FIFO";
    private static final Logger LOG = LoggerFactory.getLogger(Standby.class);

    private final Path fifo;

    private Standby(Path fifo) {
        this.fifo = fifo;
    }

    /** Creates a fresh FIFO {@code name} in {@code dir} for one standby child. */
    public static Standby prepare(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path fifo = dir.resolve(name);
        Files.deleteIfExists(fifo);
        if (LibC.get().mkfifo(fifo.toString(), 0600) != 0) {
            throw new IOException("cannot create FIFO " + fifo + ": " + LibC.describe(LibC.errno()));
        }
        return new Standby(fifo);
    }

    public Map<String, String> environment() {
        return Map.of(ENV_FIFO, fifo.toString());
    }

    /**
     * Wakes the standby. Returns false (and the owner should spawn a normal child) if no standby
     * is waiting on the FIFO — it died, or has not opened it yet.
     */
    public boolean activate() throws IOException {
        LibC c = LibC.get();
        int fd = c.open(fifo.toString(), LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) {
            int e = LibC.errno();
            if (e == LibC.ENXIO) {
                return false;
            }
            throw new IOException("cannot open FIFO " + fifo + ": " + LibC.describe(e));
        }
        try {
            ByteBuffer one = ByteBuffer.allocateDirect(1).put(0, (byte) 'g');
            return c.write(fd, one, 1) == 1;
        } finally {
            c.close(fd);
            Files.deleteIfExists(fifo);
        }
    }

    /** Child side: if {@code env} names a standby FIFO, blocks until the owner activates this child. */
    public static void awaitActivation(Map<String, String> env) throws IOException {
        String path = env.get(ENV_FIFO);
        if (path == null) {
            return;
        }
        LibC.get(); // binding libc generates code: ~0.1-0.2 s of a cold JVM, paid before the takeover
        LOG.info("standing by on {}", path);
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            if (in.read() < 0) {
                throw new IOException("standby FIFO " + path + " closed without activation");
            }
        }
        LOG.info("activated");
    }
}
