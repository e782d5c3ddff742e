package io.ossfuse.fuse.dev;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pre-started serving child that waits, fully started, until the active one dies: the takeover
 * then costs milliseconds instead of a JVM start-up.
 *
 * <p>Owner side: {@link #prepare} makes a FIFO and keeps it open read-write (so the owner is always
 * a writer: the child's open never blocks and the wake-up byte can be written before the child
 * reads); the standby child is spawned like any child ({@link ChildFd#start}) with {@link
 * #environment()} added. {@link #isReady()} turns true once the child, warmed up, waits on the FIFO
 * (it creates {@code <fifo>.ready}). When the active child has exited (never before: the standby
 * re-queues everything the kernel had handed out), {@link #activate()}: a child still warming up
 * takes over as soon as it gets there. {@link #close()} when that child has exited removes the FIFO
 * and the marker.
 *
 * <p>Child side: {@link #awaitActivation} blocks before the child touches the fuse fd ({@code
 * RawFuseTransport.serveStdin} does it when the variable is set). If the owner dies first the FIFO
 * has no writer left and the child exits instead of waiting forever.
 */
public final class Standby implements AutoCloseable {
  public static final String ENV_FIFO = "OSSFUSE_FUSE_STANDBY_FIFO";

  /** Every standby FIFO (and its marker) of a session directory starts with this. */
  public static final String PREFIX = "standby-";

  private static final String READY_SUFFIX = ".ready";
  private static final Logger LOG = LoggerFactory.getLogger(Standby.class);

  /** When this process was activated ({@link System#nanoTime}); 0 if it was no standby. */
  private static volatile long activatedNanos;

  private final Path fifo;
  private int fd;

  private Standby(Path fifo, int fd) {
    this.fifo = fifo;
    this.fd = fd;
  }

  /**
   * Creates a fresh FIFO {@code name} in {@code dir} for one standby child, held open by the owner.
   */
  public static Standby prepare(Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path fifo = dir.resolve(name);
    Files.deleteIfExists(fifo);
    Files.deleteIfExists(readyMarker(fifo));
    LibC c = LibC.get();
    if (c.mkfifo(fifo.toString(), 0600) != 0) {
      throw new IOException("cannot create FIFO " + fifo + ": " + LibC.describe(LibC.errno()));
    }
    // O_RDWR on a FIFO never blocks (Linux); non-blocking so a write can never stall the owner.
    int fd = c.open(fifo.toString(), LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
    if (fd < 0) {
      int e = LibC.errno();
      Files.deleteIfExists(fifo);
      throw new IOException("cannot open FIFO " + fifo + ": " + LibC.describe(e));
    }
    return new Standby(fifo, fd);
  }

  /**
   * Removes what standbys of an earlier owner left in {@code dir} (their FIFOs and markers);
   * returns how many entries were removed. Call before the first {@link #prepare} of an owner.
   */
  public static int removeStale(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int n = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*")) {
      for (Path p : ds) {
        if (Files.deleteIfExists(p)) {
          n++;
        }
      }
    }
    return n;
  }

  public Map<String, String> environment() {
    return Map.of(ENV_FIFO, fifo.toString());
  }

  public Path fifo() {
    return fifo;
  }

  /**
   * True once the child has warmed up and waits for {@link #activate()} (its own positive signal).
   */
  public boolean isReady() {
    return Files.exists(readyMarker(fifo));
  }

  /**
   * Wakes the standby, now or (still warming up) as soon as it reaches {@link #awaitActivation}.
   * Returns false only if this owner side was closed already.
   */
  public synchronized boolean activate() throws IOException {
    if (fd < 0) {
      return false;
    }
    ByteBuffer one = ByteBuffer.allocateDirect(1).put(0, (byte) 'g');
    long n = LibC.get().write(fd, one, 1);
    if (n != 1) {
      throw new IOException("cannot write to FIFO " + fifo + ": " + LibC.describe(LibC.errno()));
    }
    return true;
  }

  /** Releases the owner side and removes the FIFO and its marker; after the child has exited. */
  @Override
  public synchronized void close() {
    if (fd >= 0) {
      LibC.get().close(fd);
      fd = -1;
    }
    try {
      Files.deleteIfExists(fifo);
      Files.deleteIfExists(readyMarker(fifo));
    } catch (IOException e) {
      LOG.warn("cannot remove standby FIFO {}: {}", fifo, e.getMessage());
    }
  }

  /** Milliseconds since this process, a standby, was activated; -1 if it was never one. */
  public static long millisSinceActivation() {
    long t = activatedNanos;
    return t == 0 ? -1 : (System.nanoTime() - t) / 1_000_000;
  }

  private static Path readyMarker(Path fifo) {
    return fifo.resolveSibling(fifo.getFileName() + READY_SUFFIX);
  }

  /** The wake-up as read by {@link #listen}: true = woken, false = the owner is gone. */
  private static volatile java.util.concurrent.CompletableFuture<Boolean> wakeUp;

  /**
   * Child side, first thing a standby does: reads its FIFO from now on (a daemon thread), so a
   * wake-up that comes while it still warms up is seen ({@link #activationPending}) and the rest of
   * the warm-up is skipped. No-op without a standby FIFO in {@code env}.
   */
  public static synchronized void listen(Map<String, String> env) {
    String path = env.get(ENV_FIFO);
    if (path == null || wakeUp != null) {
      return;
    }
    java.util.concurrent.CompletableFuture<Boolean> w =
        new java.util.concurrent.CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try (InputStream in = Files.newInputStream(Path.of(path))) {
                boolean woken = in.read() >= 0;
                if (woken) {
                  activatedNanos = System.nanoTime();
                }
                w.complete(woken);
              } catch (IOException | RuntimeException e) {
                w.completeExceptionally(e);
              }
            },
            "standby-fifo");
    t.setDaemon(true);
    t.start();
    wakeUp = w;
  }

  /**
   * Child side: true once this standby was woken (it should skip whatever a takeover does not
   * need).
   */
  public static boolean activationPending() {
    java.util.concurrent.CompletableFuture<Boolean> w = wakeUp;
    return w != null && w.isDone() && !w.isCompletedExceptionally() && w.join();
  }

  /**
   * Child side: if {@code env} names a standby FIFO, blocks until the owner activates this child.
   */
  public static void awaitActivation(Map<String, String> env) throws IOException {
    String path = env.get(ENV_FIFO);
    if (path == null) {
      return;
    }
    LibC.get(); // binding libc generates code: ~0.1-0.2 s of a cold JVM, paid before the takeover
    listen(env);
    Path fifo = Path.of(path);
    try {
      if (!activationPending()) {
        // Ready only now: warmed up and reading, so a wake-up is served at once.
        Files.writeString(readyMarker(fifo), Long.toString(ProcessHandle.current().pid()));
        LOG.info("standing by on {}", path);
      }
      boolean woken;
      try {
        woken = wakeUp.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while standing by on " + path, e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IOException(
            "cannot read standby FIFO " + path + ": " + e.getCause().getMessage(), e.getCause());
      }
      if (!woken) {
        throw new IOException(
            "standby FIFO " + path + " closed without activation (its owner is gone)");
      }
    } finally {
      Files.deleteIfExists(readyMarker(fifo));
    }
    Files.deleteIfExists(fifo); // used up: the owner only closes its end when this child exits
    LOG.info("activated");
  }
}
