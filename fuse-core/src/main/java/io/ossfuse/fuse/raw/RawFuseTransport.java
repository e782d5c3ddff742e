package io.ossfuse.fuse.raw;

import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FileType;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fuse.dev.LibC;
import io.ossfuse.fuse.dev.Standby;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link ReadOnlyFileSystem} by speaking the kernel FUSE protocol directly on a /dev/fuse
 * fd — usually fd 0 of a child process whose parent (the watchdog) owns the connection ({@code
 * io.ossfuse.fuse.dev.FuseDevice}, {@code ChildFd}).
 *
 * <h2>Generations</h2>
 *
 * A child can die at any moment and a new one take its place on the same connection:
 *
 * <ul>
 *   <li>Fresh connection (no INIT record for this {@link SessionState#sessionId()}): one thread
 *       reads until INIT arrives, saves the negotiated parameters, then answers it.
 *   <li>Takeover (a record exists): INIT is skipped (but answered if it is still queued or re-sent
 *       — a predecessor may have died mid-INIT), and FUSE_NOTIFY_RESEND is written before any
 *       worker reads, so the kernel re-queues every request the dead child had read.
 *   <li>Kernels without RESEND (< 6.9, detected from INIT or a failing RESEND write): serve on a
 *       FUSE_DEV_IOC_CLONE'd fd; a dead child's in-flight requests then end with ECONNABORTED.
 * </ul>
 *
 * Node ids and file handles must mean the same in every generation: that is the filesystem's part
 * (a persisted inode table, stateless handles). Reads are idempotent, so re-sent requests are safe.
 */
public final class RawFuseTransport {
  private static final Logger LOG = LoggerFactory.getLogger(RawFuseTransport.class);

  private RawFuseTransport() {}

  /** Starts serving {@code fd} in background threads; returns at once. */
  public static RawFuseSession start(
      int fd, ReadOnlyFileSystem fs, SessionState state, RawFuseConfig config) {
    Server s = new Server(fd, fs, state, config);
    Thread t = new Thread(s::run, "fuse-raw-main");
    t.setDaemon(true);
    t.start();
    return s;
  }

  /** Serves {@code fd} until the connection ends (unmount or abort). */
  public static void serve(int fd, ReadOnlyFileSystem fs, SessionState state, RawFuseConfig config)
      throws InterruptedException, IOException {
    awaitEnd(start(fd, fs, state, config));
  }

  private static void awaitEnd(RawFuseSession s) throws InterruptedException, IOException {
    s.awaitTermination();
    Optional<Throwable> f = s.failure();
    if (f.isPresent()) {
      throw new IOException("raw FUSE transport failed: " + f.get(), f.get());
    }
  }

  /**
   * The child-process entry: serves fd 0 with the state from the environment ({@link
   * SessionState#fromEnvironment}) until the connection ends.
   */
  public static void serveStdin(ReadOnlyFileSystem fs, RawFuseConfig config)
      throws InterruptedException, IOException {
    serveStdin(() -> fs, config);
  }

  /**
   * Like {@link #serveStdin(ReadOnlyFileSystem, RawFuseConfig)}, for a child that may be a
   * pre-started standby ({@code io.ossfuse.fuse.dev.Standby}): waits for activation first, and only
   * then builds the filesystem — so it reads the inode table as the dead child left it.
   */
  public static void serveStdin(Supplier<? extends ReadOnlyFileSystem> fs, RawFuseConfig config)
      throws InterruptedException, IOException {
    SessionState state = SessionState.fromEnvironment(System.getenv());
    warmUp();
    Standby.awaitActivation(System.getenv());
    // beside the filesystem's open (cache and inode table), not after it: every request waits
    SessionPrep prep = SessionPrep.start(0, state, config, PoisonPolicy.defaults());
    ReadOnlyFileSystem opened = fs.get();
    Server s = new Server(0, opened, state, config, PoisonPolicy.defaults(), prep);
    // on this thread: handing over to a new one cost 5-20 ms of a takeover on a loaded node
    Thread.currentThread().setName("fuse-raw-main");
    s.run();
    awaitEnd(s);
  }

  /**
   * What a generation reads from the session directory before it serves: the poison check ({@link
   * PoisonGuard#open}), the INIT record and, for a session with passthrough, the predecessor's
   * passthrough opens. None of it needs the filesystem, so a takeover runs it in a thread of its
   * own beside the filesystem's open; no worker reads before it is done.
   */
  static final class SessionPrep {
    record Result(
        PoisonGuard guard,
        Optional<Negotiation> saved,
        PassthroughOpens passthrough,
        long poisonMillis,
        long passthroughMillis) {}

    private final java.util.concurrent.FutureTask<Result> task;

    private SessionPrep(int fd, SessionState state, RawFuseConfig config, PoisonPolicy policy) {
      this.task =
          new java.util.concurrent.FutureTask<>(
              () -> {
                long t0 = System.nanoTime();
                // Before RESEND: what the dead predecessor had in flight decides what is poison.
                PoisonGuard g =
                    PoisonGuard.open(state, config.workers(), policy, System::currentTimeMillis);
                long t1 = System.nanoTime();
                Optional<Negotiation> saved = new InitStore(state).load();
                PassthroughOpens p = null;
                if (saved.isPresent() && saved.get().passthrough()) {
                  // before any worker reads: a re-sent OPEN must find the predecessor's record.
                  // Also with passthrough off in this child: an inode the kernel holds open
                  // passthrough needs that backing id on every further open (else EIO); such a
                  // child only registers nothing new
                  p = PassthroughOpens.open(state, BackingIds.kernel(fd));
                }
                long t2 = System.nanoTime();
                return new Result(g, saved, p, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
              });
    }

    /** Runs it on this thread. */
    static SessionPrep now(int fd, SessionState state, RawFuseConfig config, PoisonPolicy policy) {
      SessionPrep c = new SessionPrep(fd, state, config, policy);
      c.task.run();
      return c;
    }

    /** Starts it in a thread of its own. */
    static SessionPrep start(
        int fd, SessionState state, RawFuseConfig config, PoisonPolicy policy) {
      SessionPrep c = new SessionPrep(fd, state, config, policy);
      Thread t = new Thread(c.task, "session-prep");
      t.setDaemon(true);
      t.start();
      return c;
    }

    Result await() throws InterruptedException, IOException {
      try {
        return task.get();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException io) throw io;
        if (e.getCause() instanceof RuntimeException r) throw r;
        throw new IOException(e.getCause());
      }
    }
  }

  /**
   * For a standby child before it waits: runs the first requests of a takeover through the request
   * path on {@code fs} (a throw-away filesystem of the same source, without the active child's
   * inode table and cache), so their code is loaded and compiled when the takeover comes. {@code
   * scratch} is a directory it may create and fill, removed by the caller (also when this process
   * is killed on the way).
   */
  public static void warmUp(
      ReadOnlyFileSystem fs, RawFuseConfig config, java.nio.file.Path scratch) {
    WarmUp.run(fs, config, 50);
    loadTakeoverClasses();
    warmPoisonCheck(config, scratch);
  }

  /**
   * Runs the poison check and the passthrough replay of a takeover a few times on a throw-away
   * session directory: cold, they cost 50-300 ms of every takeover on a loaded node (file reads and
   * writes, a mapped ring).
   */
  private static void warmPoisonCheck(RawFuseConfig config, java.nio.file.Path dir) {
    if (Standby.activationPending()) {
      return;
    }
    try {
      java.nio.file.Files.createDirectories(dir);
      SessionState warm = new SessionState(dir, "warm-up");
      for (int i = 0; i < 3; i++) {
        PoisonGuard.open(
            warm, config.workers(), PoisonPolicy.defaults(), System::currentTimeMillis);
      }
      new InitStore(warm).load();
      warmPassthroughReplay(warm);
    } catch (IOException | RuntimeException e) {
      LOG.info("standby warm-up: poison check not warmed: {}", e.toString());
    }
  }

  /**
   * Replays a made-up passthrough log of {@code warm}'s session a few times, its ioctls on fd -1
   * (never fd 0: that is the live connection, whose backing ids the active child uses): cold, the
   * replay cost 30-100 ms of a takeover.
   */
  private static void warmPassthroughReplay(SessionState warm) throws IOException {
    BackingIds none =
        new BackingIds() {
          @Override
          public int open(java.nio.file.Path file) throws IOException {
            throw new IOException("warm-up registers nothing");
          }

          @Override
          public int close(int id) {
            int r = LibC.get().ioctl(-1, LibC.FUSE_DEV_IOC_BACKING_CLOSE, new int[] {id});
            return r == 0 ? 0 : LibC.errno();
          }
        };
    java.nio.file.Path log = warm.stateDir().resolve(PassthroughOpens.FILE);
    for (int i = 0; i < 3; i++) {
      java.nio.file.Files.writeString(
          log,
          "S "
              + warm.sessionId()
              + "\nM 2\nB 1 10 v%2F1 a%2Fb\nB 2 11 v a\nO 5 100 10 p\nO 6 101 11 o\n"
              + "R 101 11 o\nC 2\nP 12\n");
      PassthroughOpens.open(warm, none).close();
    }
  }

  /**
   * Loads what only a takeover runs (the warm-up never does): loading and verifying them after
   * activation cost 50-150 ms of every takeover; in a standby, and in the class archive its
   * training writes, they are ready.
   */
  private static void loadTakeoverClasses() {
    Class<?>[] takeover = {
      PoisonGuard.class,
      PoisonState.class,
      InFlightRing.class,
      InitStore.class,
      PassthroughOpens.class,
      BackingIds.class,
      Server.class,
      Worker.class,
      FuseChannel.class,
      ServeMode.class
    };
    for (Class<?> c : takeover) {
      try {
        Class.forName(c.getName(), true, c.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        LOG.info("standby warm-up: cannot load {}: {}", c.getName(), e.toString());
      }
    }
  }

  /** Loads and initializes what the first requests need, so a standby takes over quickly. */
  private static void warmUp() {
    LibC.get();
    ByteBuffer b = ByteBuffer.allocateDirect(Wire.PAGE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    new Encoder(Duration.ofSeconds(1), Duration.ofSeconds(1))
        .attrOut(
            b,
            Wire.OUT_HEADER,
            new FileAttr(1, FileType.DIRECTORY, 0, 0555, 2, 0, 0, Instant.EPOCH));
    Encoder.header(b, Wire.OUT_HEADER, 0, 0);
    Negotiation.assumed("warm-up", RawFuseConfig.defaults(), true).encode(b, 1);
  }

  static final class Server implements RawFuseSession, Dispatcher.InitHandler {
    private final int fd;
    private final ReadOnlyFileSystem fs;
    private final SessionState state;
    private final RawFuseConfig config;
    private final InitStore store;
    private final PoisonPolicy poison;
    private final SessionPrep ahead;
    private PoisonGuard guard = PoisonGuard.disabled();
    private final CompletableFuture<ServeMode> mode = new CompletableFuture<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Negotiation negotiation;
    private volatile Throwable failure;
    private volatile PassthroughOpens passthrough;

    Server(int fd, ReadOnlyFileSystem fs, SessionState state, RawFuseConfig config) {
      this(fd, fs, state, config, PoisonPolicy.defaults());
    }

    Server(
        int fd,
        ReadOnlyFileSystem fs,
        SessionState state,
        RawFuseConfig config,
        PoisonPolicy poison) {
      this(fd, fs, state, config, poison, null);
    }

    /**
     * {@code ahead}: the poison check already started (null: run it first thing in {@link #run}).
     */
    Server(
        int fd,
        ReadOnlyFileSystem fs,
        SessionState state,
        RawFuseConfig config,
        PoisonPolicy poison,
        SessionPrep ahead) {
      this.ahead = ahead;
      this.fd = fd;
      this.poison = Objects.requireNonNull(poison, "poison");
      this.fs = Objects.requireNonNull(fs, "fs");
      this.state = Objects.requireNonNull(state, "state");
      this.config = Objects.requireNonNull(config, "config");
      this.store = new InitStore(state);
    }

    void run() {
      int cloneFd = -1;
      try {
        FuseChannel shared = FuseChannel.ofFd(fd);
        long begun = Standby.millisSinceActivation();
        long t0 = System.nanoTime();
        SessionPrep.Result prep =
            (ahead != null ? ahead : SessionPrep.now(fd, state, config, poison)).await();
        guard = prep.guard();
        long prepWait = (System.nanoTime() - t0) / 1_000_000;
        Optional<Negotiation> saved = prep.saved();
        passthrough = prep.passthrough();
        ServeMode m;
        if (saved.isPresent()) {
          negotiation = saved.get();
          boolean resent =
              negotiation.resendSupported() && !config.forceClonedFd() && resend(shared);
          m = resent ? ServeMode.SHARED_FD_RESEND : ServeMode.CLONED_FD;
          LOG.info(
              "taking over FUSE session {} (kernel 7.{}, protocol 7.{}){}",
              state.sessionId(),
              negotiation.kernelMinor(),
              negotiation.minor(),
              begun < 0
                  ? ""
                  : ": "
                      + Standby.millisSinceActivation()
                      + " ms after activation (filesystem open "
                      + begun
                      + " ms; beside it poison check "
                      + prep.poisonMillis()
                      + " ms, passthrough replay "
                      + prep.passthroughMillis()
                      + " ms, waited for "
                      + prepWait
                      + " ms after)");
        } else {
          // A predecessor may have read INIT and died before saving it: have it re-sent.
          boolean resendWorks = resend(shared);
          if (!bootstrap(shared, resendWorks)) {
            return;
          }
          m =
              negotiation.resendSupported() && !config.forceClonedFd()
                  ? ServeMode.SHARED_FD_FRESH
                  : ServeMode.CLONED_FD;
        }
        FuseChannel channel = shared;
        if (m == ServeMode.CLONED_FD) {
          cloneFd = cloneFd(fd);
          channel = FuseChannel.ofFd(cloneFd);
        }
        if (negotiation.passthrough() && passthrough == null) {
          // a fresh session's (see SessionPrep for why before any worker reads)
          passthrough = PassthroughOpens.open(state, BackingIds.kernel(fd));
        }
        long served = Standby.millisSinceActivation();
        LOG.info(
            "serving FUSE session {} in mode {} with {} workers, passthrough {}{}",
            state.sessionId(),
            m,
            config.workers(),
            passthrough == null ? "off" : config.passthrough() ? "on" : "off (open ones kept)",
            served < 0 ? "" : ": " + served + " ms after activation");
        mode.complete(m);
        runWorkers(channel);
      } catch (Throwable t) {
        failure = t;
        LOG.error("raw FUSE transport of session {} failed", state.sessionId(), t);
      } finally {
        if (cloneFd >= 0) {
          LibC.get().close(cloneFd);
        }
        if (passthrough != null) {
          passthrough.close();
        }
        if (!mode.isDone()) {
          mode.completeExceptionally(
              failure != null
                  ? failure
                  : new IllegalStateException("connection ended before INIT"));
        }
        done.countDown();
      }
    }

    /** Serves single-threaded until INIT is answered; false if the connection ended first. */
    private boolean bootstrap(FuseChannel shared, boolean resendWorks) throws IOException {
      Worker boot =
          new Worker(shared, new Dispatcher(fs, config, this, shared), config, guard.slot(0));
      while (negotiation == null) {
        int op = boot.serveOne();
        if (op == Worker.CLOSED) {
          LOG.info("FUSE session {} ended before INIT", state.sessionId());
          return false;
        }
        if (op != 0 && op != Wire.INIT && negotiation == null) {
          // Already initialized, yet no record: the state dir was lost. Carry on.
          Negotiation n = Negotiation.assumed(state.sessionId(), config, resendWorks);
          LOG.warn(
              "FUSE session {} is initialized but {} has no INIT record; assuming "
                  + "protocol 7.{}",
              state.sessionId(),
              state.stateDir(),
              n.minor());
          store.save(n);
          negotiation = n;
        }
      }
      return true;
    }

    private void runWorkers(FuseChannel channel) throws InterruptedException {
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < config.workers(); i++) {
        Worker w =
            new Worker(
                channel,
                new Dispatcher(fs, config, this, channel, passthrough),
                config,
                guard.slot(i));
        Thread t = new Thread(w, "fuse-raw-" + i);
        t.setDaemon(true);
        t.start();
        threads.add(t);
      }
      for (Thread t : threads) {
        t.join();
      }
      LOG.info("FUSE session {}: connection ended, workers stopped", state.sessionId());
    }

    @Override
    public Negotiation onInit(ByteBuffer in) throws Exception {
      Negotiation n = Negotiation.decide(state.sessionId(), in, config);
      pause(config.testPauseBeforeInitSave(), "before saving INIT");
      store.save(n); // before the reply: a successor must never miss a completed INIT
      negotiation = n;
      pause(config.testPauseBeforeInitReply(), "before answering INIT");
      LOG.info(
          "INIT: kernel 7.{} flags {}; answered 7.{} flags {} max_pages {} resend={}",
          n.kernelMinor(),
          Long.toHexString(n.kernelFlags()),
          n.minor(),
          Long.toHexString(n.flags()),
          n.maxPages(),
          n.resendSupported());
      return n;
    }

    /** Logs first: the test waits for that line, not for a guessed time. */
    private static void pause(Duration d, String where) throws InterruptedException {
      if (!d.isZero()) {
        LOG.info("test pause of {} ms {}", d.toMillis(), where);
        Thread.sleep(d.toMillis());
      }
    }

    /** Writes FUSE_NOTIFY_RESEND; false if the kernel does not know it. */
    private boolean resend(FuseChannel ch) {
      ByteBuffer b = ByteBuffer.allocateDirect(Wire.OUT_HEADER).order(ByteOrder.LITTLE_ENDIAN);
      Encoder.header(b, Wire.OUT_HEADER, Wire.NOTIFY_RESEND, 0);
      int e = ch.write(b, Wire.OUT_HEADER);
      if (e != 0) {
        LOG.info("FUSE_NOTIFY_RESEND refused ({}): kernel older than 6.9", LibC.describe(e));
        return false;
      }
      LOG.info("FUSE_NOTIFY_RESEND written: requests a predecessor had read are re-queued");
      return true;
    }

    private static int cloneFd(int fd) throws IOException {
      LibC c = LibC.get();
      int nfd = c.open("/dev/fuse", LibC.O_RDWR | LibC.O_CLOEXEC);
      if (nfd < 0) {
        throw new IOException(
            "cannot open /dev/fuse to clone fd " + fd + ": " + LibC.describe(LibC.errno()));
      }
      if (c.ioctl(nfd, LibC.FUSE_DEV_IOC_CLONE, new int[] {fd}) != 0) {
        int e = LibC.errno();
        c.close(nfd);
        throw new IOException("FUSE_DEV_IOC_CLONE of fd " + fd + " failed: " + LibC.describe(e));
      }
      return nfd;
    }

    @Override
    public ServeMode awaitMode(Duration timeout) throws InterruptedException, TimeoutException {
      try {
        return mode.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        throw new IllegalStateException(
            "raw FUSE transport did not start: " + e.getCause(), e.getCause());
      }
    }

    @Override
    public void awaitTermination() throws InterruptedException {
      done.await();
    }

    @Override
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
      return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public Optional<Throwable> failure() {
      return Optional.ofNullable(failure);
    }

    /** The session's passthrough bookkeeping, or null (tests). */
    PassthroughOpens passthrough() {
      return passthrough;
    }

    @Override
    public long passthroughOpens() {
      PassthroughOpens p = passthrough;
      return p == null ? -1 : p.passthroughAnswers();
    }
  }
}
