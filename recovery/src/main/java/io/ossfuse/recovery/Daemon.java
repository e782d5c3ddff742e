package io.ossfuse.recovery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node daemon ({@code ossfuse daemon}): parent of one FUSE child per mount, owner of the state
 * file and the control socket. It never serves file data, so it does not go down with the data
 * path.
 *
 * <p>On start it brings back every mount of the state file (adopting children that still serve,
 * restarting the others) and re-attaches every target. On stop it leaves children and mounts as
 * they are: the next daemon adopts them, so a daemon upgrade interrupts nothing. Under systemd the
 * raw connections also sit in the unit's fd store ({@link FuseFdStore}), so they survive even a
 * kill of daemon and children together.
 */
public final class Daemon implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);
  private final DaemonConfig config;
  private final StateStore store;
  private final TargetPaths paths;
  private final MountOps ops;
  private final TargetBinder binder;
  private final FuseFdStore fdStore;

  /** One for every mount: children of one JVM and classpath load the same classes. */
  private final ClassArchive classArchive;

  private final BindAdopter adopter;
  private final MountTableWatcher mountTable;

  /**
   * How often the mount table is read for binds made by others (Fluid's CSI): they are adopted
   * within this.
   */
  static final java.time.Duration MOUNT_TABLE_POLL = java.time.Duration.ofSeconds(1);

  private final Map<String, MountSupervisor> mounts = new ConcurrentSkipListMap<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile boolean loaded;
  private ControlServer server;

  private Daemon(DaemonConfig config, FuseFdStore fdStore) throws IOException {
    this.config = config;
    this.fdStore = fdStore;
    this.store = new StateStore(config.stateFile());
    this.paths = new TargetPaths(config.allowedRoot());
    this.ops = new MountOps(config.probeTimeout());
    this.binder = new TargetBinder(ops, paths);
    this.classArchive =
        ClassArchive.in(
            config.stateFile().resolveSibling("class-archive"),
            config.javaBin(),
            config.classpath());
    this.adopter = new BindAdopter(ops, paths);
    this.mountTable =
        new MountTableWatcher(
            io.ossfuse.fuse.MountInfo.PROC_MOUNTINFO, MOUNT_TABLE_POLL, this::adoptBinds);
  }

  /** Loads the state file, brings every mount back and opens the control socket. */
  public static Daemon start(DaemonConfig config) throws IOException {
    return start(config, FuseFdStore.none());
  }

  /**
   * As {@link #start(DaemonConfig)}, under the service manager described by {@code env} (the
   * process environment): with {@code $NOTIFY_SOCKET} each daemon-held FUSE connection is kept in
   * systemd's fd store, and connections systemd hands back (LISTEN_FDS) are served on.
   */
  public static Daemon start(DaemonConfig config, Map<String, String> env) throws IOException {
    return start(config, FuseFdStore.fromEnvironment(env, ProcessHandle.current().pid()));
  }

  static Daemon start(DaemonConfig config, FuseFdStore fdStore) throws IOException {
    Daemon d = new Daemon(config, fdStore);
    d.resume();
    d.server = new ControlServer(config.socket(), d::handle);
    d.mountTable.start();
    log.info(
        "ossfuse daemon listening on {} (state {}, allowed root {}, {} mounts)",
        config.socket(),
        config.stateFile(),
        d.paths.root(),
        d.mounts.size());
    return d;
  }

  private void resume() throws StateFileException {
    DaemonState state = store.load();
    List<MountRecord> records = new ArrayList<>();
    List<MountSupervisor> sups = new ArrayList<>();
    for (MountRecord r : state.mounts()) {
      MountSupervisor s;
      try {
        s = supervisor(r.spec(), r.targets(), r.session());
      } catch (RuntimeException e) {
        // The state file's checks should have caught it; one mount must not stop the others.
        store.keepAside(
            List.of(
                new StateStore.Rejected(
                    Json.mapper().valueToTree(r), String.valueOf(e.getMessage()))));
        continue;
      }
      mounts.put(r.spec().mountpoint(), s);
      records.add(r);
      sups.add(s);
    }
    fdStore.releaseUnclaimed();
    // Register everything before anything persists, so no mount is written out of the state file.
    loaded = true;
    for (int i = 0; i < sups.size(); i++) sups.get(i).start(records.get(i));
  }

  /** {@code session}: the state file's, for a mount brought back on start; null for a new one. */
  private MountSupervisor supervisor(MountSpec spec, List<BindTarget> targets, String session) {
    ChildCommand cmd =
        spec.driver().equals(MountSpec.DRIVER_BINDFS)
            ? ChildCommand.bindfs()
            : ChildCommand.java(
                config.javaBin(),
                config.classpath(),
                config.childMaxHeap(),
                config.readTimeout(),
                classArchive);
    Connection conn;
    if (spec.driver().equals(MountSpec.DRIVER_OSSFUSE)
        && spec.transport().equals(MountSpec.TRANSPORT_RAW)) {
      DaemonHeld held =
          new DaemonHeld(spec, ops, config.specDir().resolve(spec.id() + ".session"), fdStore);
      held.reclaim(fdStore.claim(spec.id()), session);
      conn = held;
    } else {
      conn = Connection.selfMounted(spec, ops);
    }
    return new MountSupervisor(
        spec, targets, config, cmd, conn, ops, binder, System::nanoTime, this::persist);
  }

  /** The mount table changed (or a mount did): every mount looks for binds made by others. */
  private void adoptBinds() {
    for (MountSupervisor s : mounts.values()) s.reconcileTargets(adopter);
  }

  private synchronized void persist() {
    if (!loaded) return;
    mountTable
        .poke(); // e.g. a mount became healthy: binds it could not adopt while recovering are due
    List<MountRecord> recs = new ArrayList<>();
    for (MountSupervisor s : mounts.values()) recs.add(s.record());
    try {
      store.save(new DaemonState(DaemonState.VERSION, recs));
    } catch (IOException e) {
      log.error("cannot write state file {}: {}", store.file(), e.getMessage());
    }
  }

  /** Blocks until {@link #close()}. */
  public void awaitClose() throws InterruptedException {
    closed.await();
  }

  ControlResponse handle(ControlRequest req) {
    try {
      return switch (req.op()) {
        case "mount" -> mount(req.spec());
        case "umount" -> umount(req.path(), req.force());
        case "bind" -> bind(req.path(), req.target());
        case "unbind" -> unbind(req.target());
        case "status" ->
            ControlResponse.status(mounts.values().stream().map(MountSupervisor::status).toList());
        default ->
            ControlResponse.failure(
                "unknown request '" + req.op() + "': use mount, umount, bind, unbind or status");
      };
    } catch (Exception e) {
      String m = e.getMessage() == null ? e.toString() : e.getMessage();
      return ControlResponse.failure(m.lines().findFirst().orElse(m));
    }
  }

  private ControlResponse mount(MountSpec spec) throws Exception {
    if (spec == null) return ControlResponse.failure("mount request without a spec");
    MountSupervisor s;
    synchronized (this) {
      MountSupervisor existing = mounts.get(spec.mountpoint());
      if (existing != null) {
        if (existing.spec().equals(spec))
          return ControlResponse.success(spec.mountpoint() + " is already mounted");
        return ControlResponse.failure(
            spec.mountpoint()
                + " is already mounted from "
                + existing.spec().source()
                + ": umount it first");
      }
      if (ops.fuseAt(spec.mountpointPath()).isPresent()) {
        return ControlResponse.failure(
            spec.mountpoint()
                + " already has a FUSE mount not managed by this daemon: unmount it first");
      }
      s = supervisor(spec, List.of(), null);
      mounts.put(spec.mountpoint(), s);
    }
    persist();
    s.start(null);
    long deadline = System.nanoTime() + config.startTimeout().toNanos() + 5_000_000_000L;
    while (System.nanoTime() < deadline) {
      MountState st = s.state();
      if (st == MountState.HEALTHY) {
        return ControlResponse.success(
            "mounted "
                + spec.source()
                + " on "
                + spec.mountpoint()
                + " (child "
                + s.status().childPid()
                + ")");
      }
      if (st != MountState.STARTING) break;
      Thread.sleep(20);
    }
    String why = s.status().lastCrash();
    forget(s, true);
    Path logFile = config.logDir().resolve(spec.id() + ".log");
    String childSaid = lastLine(logFile);
    return ControlResponse.failure(
        "mount of "
            + spec.source()
            + " on "
            + spec.mountpoint()
            + " failed: "
            + (why == null ? "not ready in time" : why)
            + (childSaid == null ? "" : " (" + childSaid + ")")
            + "; see "
            + logFile);
  }

  /** The child's last words, e.g. its one-line "cannot mount ...: bucket does not exist". */
  private static String lastLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      for (int i = lines.size() - 1; i >= 0; i--) {
        String l = lines.get(i).strip();
        if (l.startsWith("ossfuse child:")) return l.substring("ossfuse child:".length()).strip();
      }
    } catch (IOException | RuntimeException ignored) {
      // no log yet
    }
    return null;
  }

  private ControlResponse umount(String path, boolean force) throws Exception {
    if (path == null) return ControlResponse.failure("umount needs a mountpoint");
    String mp = Path.of(path).toAbsolutePath().normalize().toString();
    MountSupervisor s = mounts.get(mp);
    if (s == null)
      return ControlResponse.failure(mp + " is not mounted by this daemon (see 'ossfuse status')");
    s.stop(force);
    forget(s, false);
    return ControlResponse.success("unmounted " + mp);
  }

  private void forget(MountSupervisor s, boolean stop) throws Exception {
    if (stop) s.stop(true);
    mounts.remove(s.spec().mountpoint(), s);
    persist();
    removeMountFiles(s.spec());
  }

  /**
   * The spec, its child's inode table ({@code .json.d}), stats and session (standby FIFOs) of a
   * mount that is gone; its child log stays for the admin.
   */
  private void removeMountFiles(MountSpec spec) {
    Path dir = config.specDir();
    Path specFile = dir.resolve(spec.id() + ".json");
    for (Path p :
        List.of(
            specFile,
            dir.resolve(spec.id() + ".json.d"),
            StatsFiles.forSpecFile(specFile),
            dir.resolve(spec.id() + ".session"))) {
      try (Stream<Path> walk = Files.walk(p)) {
        for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
      } catch (NoSuchFileException gone) {
        // never written (e.g. a bindfs mount has no session)
      } catch (IOException | UncheckedIOException e) {
        log.warn("cannot remove {} of the unmounted {}: {}", p, spec.mountpoint(), e.getMessage());
      }
    }
  }

  private ControlResponse bind(String path, String target) throws Exception {
    if (path == null || !Path.of(path).isAbsolute()) {
      return ControlResponse.failure(
          "bind needs an absolute /mountpoint[/subdir], got '" + path + "'");
    }
    for (Path seg : Path.of(path)) {
      if (seg.toString().equals("..") || seg.toString().equals(".")) {
        return ControlResponse.failure(
            "bind source '" + path + "' contains '" + seg + "': refused");
      }
    }
    Path src = Path.of(path).normalize();
    MountSupervisor owner = null;
    for (MountSupervisor s : mounts.values()) {
      Path mp = s.spec().mountpointPath();
      if (src.startsWith(mp)
          && (owner == null || mp.getNameCount() > owner.spec().mountpointPath().getNameCount())) {
        owner = s;
      }
    }
    if (owner == null)
      return ControlResponse.failure(
          src + " is not inside any mount of this daemon (see 'ossfuse status')");
    String sub = TargetPaths.checkSubPath(owner.spec().mountpointPath().relativize(src).toString());
    Path t = paths.check(target);
    for (MountSupervisor s : mounts.values()) {
      if (s != owner && s.targets().stream().anyMatch(b -> b.target().equals(t.toString()))) {
        return ControlResponse.failure(
            "target " + t + " is already bound to " + s.spec().mountpoint() + ": unbind it first");
      }
    }
    return ControlResponse.success(owner.bind(new BindTarget(t.toString(), sub), paths));
  }

  private ControlResponse unbind(String target) throws Exception {
    if (target == null) return ControlResponse.failure("unbind needs a target path");
    String t = Path.of(target).toAbsolutePath().normalize().toString();
    for (MountSupervisor s : mounts.values()) {
      if (s.unbind(t)) return ControlResponse.success("unbound " + t);
    }
    return ControlResponse.failure(
        t + " is not a bound target of this daemon (see 'ossfuse status')");
  }

  /** Closes the socket and stops supervising; children and mounts stay up for the next daemon. */
  @Override
  public void close() throws IOException {
    mountTable.close();
    if (server != null) server.close();
    for (MountSupervisor s : mounts.values()) s.detach();
    closed.countDown();
    log.info("ossfuse daemon stopped; {} mounts left running for the next daemon", mounts.size());
  }
}
