package io.ossfuse.fuse.raw;

import io.ossfuse.fs.ReadOnlyFileSystem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds poison requests: one that kills every child it reaches would otherwise be re-sent to each
 * new child forever (FUSE_NOTIFY_RESEND), a crash loop.
 *
 * <p>Every serving child notes the requests it is in the middle of in an {@link InFlightRing}. When
 * a child takes the session over it reads what its predecessor had in flight and counts, per
 * request ({@link RequestId}), the crashes in a row it was in flight at ({@link PoisonState}).
 * Requests seen at one crash are <em>suspects</em>: the new child serves them one at a time (other
 * requests run as usual), so at the next crash the one that did it is the only suspect in flight. A
 * request in flight at {@link PoisonPolicy#crashes} crashes in a row is <em>quarantined</em>:
 * answered EIO at once, without being served, until the quarantine ends. A suspect served to
 * completion is cleared, and a child that lives {@link PoisonPolicy#survival} resets all counts.
 *
 * <p>Hot path ({@link Slot#admit}, {@link Slot#done}): a hash of the request and a few stores into
 * the worker's own part of the mapped file; the suspect and quarantine lists are only looked at
 * when not empty.
 */
final class PoisonGuard {
  private static final Logger LOG = LoggerFactory.getLogger(PoisonGuard.class);
  private static final PoisonGuard DISABLED = new PoisonGuard(null, null, null, null, null);

  private final Path dir;
  private final PoisonPolicy policy;
  private final LongSupplier clock;
  private final InFlightRing ring;
  private final PoisonState state;
  private final long[] suspectKeys;
  private final PoisonState.Quarantined[] quarantine;
  private final AtomicBoolean[] quarantineLogged;
  private final ReentrantLock alone = new ReentrantLock();
  private volatile boolean suspectsActive;

  private PoisonGuard(
      Path dir, PoisonPolicy policy, LongSupplier clock, InFlightRing ring, PoisonState state) {
    this.dir = dir;
    this.policy = policy;
    this.clock = clock;
    this.ring = ring;
    this.state = state;
    this.suspectKeys =
        state == null
            ? new long[0]
            : state.suspects().stream().mapToLong(s -> s.id().key()).toArray();
    this.quarantine =
        state == null
            ? new PoisonState.Quarantined[0]
            : state.quarantine().toArray(new PoisonState.Quarantined[0]);
    this.quarantineLogged = new AtomicBoolean[quarantine.length];
    for (int i = 0; i < quarantine.length; i++) {
      quarantineLogged[i] = new AtomicBoolean();
    }
    this.suspectsActive = suspectKeys.length > 0;
  }

  /** A guard that notes nothing and quarantines nothing. */
  static PoisonGuard disabled() {
    return DISABLED;
  }

  /**
   * Starts this child's generation on session {@code s}: reads what the previous one left (a
   * takeover), decides suspects and quarantine, saves them and starts an empty ring. Never throws:
   * if the session directory cannot be used the guard is disabled, with one log line.
   */
  static PoisonGuard open(SessionState s, int workers, PoisonPolicy policy, LongSupplier clock) {
    Path dir = s.stateDir();
    try {
      java.nio.file.Files.createDirectories(dir);
      PoisonState prev;
      try {
        prev = PoisonState.load(dir, s.sessionId());
      } catch (IOException e) {
        LOG.warn("ignoring {}: crash counts start afresh", e.getMessage());
        prev = PoisonState.fresh(s.sessionId());
      }
      InFlightRing.Snapshot dead = InFlightRing.Snapshot.EMPTY;
      if (prev.generation() > 0) {
        try {
          dead = InFlightRing.read(dir.resolve(InFlightRing.FILE), prev.generation());
        } catch (IOException e) {
          LOG.warn(
              "ignoring {} of FUSE session {}: {}; crash counts start afresh",
              dir.resolve(InFlightRing.FILE),
              s.sessionId(),
              e.getMessage());
        }
      }
      java.util.function.LongPredicate endedOnItsOwn =
          ExitNotes.kept(dir)
              ? pid -> ExitNotes.endedOnItsOwn(dir, pid)
              : pid -> true; // unsupervised: every crash counts
      PoisonState next =
          nextGeneration(
              prev, dead, policy, clock.getAsLong(), endedOnItsOwn, ProcessHandle.current().pid());
      next.save(dir);
      InFlightRing ring =
          InFlightRing.create(dir.resolve(InFlightRing.FILE), workers, next.generation());
      PoisonGuard g = new PoisonGuard(dir, policy, clock, ring, next);
      if (g.suspectsActive) {
        g.resetAfterSurvival();
      }
      return g;
    } catch (IOException | RuntimeException e) {
      LOG.warn(
          "cannot track in-flight requests in {} ({}): poison requests will not be detected",
          dir,
          e.toString());
      return DISABLED;
    }
  }

  /**
   * As {@link #nextGeneration(PoisonState, InFlightRing.Snapshot, PoisonPolicy, long,
   * java.util.function.LongPredicate, long)}, every crash counting.
   */
  static PoisonState nextGeneration(
      PoisonState prev, InFlightRing.Snapshot dead, PoisonPolicy policy, long now) {
    return nextGeneration(prev, dead, policy, now, pid -> true, 0);
  }

  /**
   * The next generation's state: the dead one's in-flight requests counted, old quarantines kept. A
   * request reaches quarantine only if one of the children that died with it in flight is known to
   * have ended by itself ({@code endedOnItsOwn}; {@link ExitNotes}): children killed from outside
   * again and again (an OOM-kill loop of the node, a test) never make a file unreadable. The child
   * that just died is not noted yet when its successor starts, so a real poison request is
   * quarantined at the crash after the first one noted.
   */
  static PoisonState nextGeneration(
      PoisonState prev,
      InFlightRing.Snapshot dead,
      PoisonPolicy policy,
      long now,
      java.util.function.LongPredicate endedOnItsOwn,
      long pid) {
    List<PoisonState.Quarantined> quarantine = new ArrayList<>();
    for (PoisonState.Quarantined q : prev.quarantine()) {
      if (q.untilMillis() > now) {
        quarantine.add(q);
      }
    }
    Map<Long, RequestId> inFlight = new LinkedHashMap<>();
    dead.inFlight().forEach(id -> inFlight.putIfAbsent(id.key(), id));
    List<PoisonState.Suspect> suspects = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    List<String> quarantined = new ArrayList<>();
    for (RequestId id : inFlight.values()) {
      int crashes = 1;
      List<Long> pids = new ArrayList<>();
      for (int i = 0; i < prev.suspects().size(); i++) {
        PoisonState.Suspect s = prev.suspects().get(i);
        if (s.id().key() == id.key() && !dead.cleared(i, id.key())) {
          crashes = s.crashes() + 1;
          pids = new ArrayList<>(s.pids());
        }
      }
      if (prev.pid() != 0) pids.add(prev.pid());
      boolean ownCrash =
          pids.isEmpty() ? endedOnItsOwn.test(0) : pids.stream().anyMatch(endedOnItsOwn::test);
      seen.add(
          id.describe()
              + " (crash "
              + crashes
              + " of "
              + policy.crashes()
              + (crashes >= policy.crashes() && !ownCrash
                  ? "; every child it saw die was killed from outside or is not noted yet"
                  : "")
              + ")");
      if (crashes >= policy.crashes() && ownCrash && quarantinable(id)) {
        long until = now + policy.quarantine().toMillis();
        quarantine.add(new PoisonState.Quarantined(id, until));
        quarantined.add(
            "quarantined "
                + id.describe()
                + " of FUSE session "
                + prev.session()
                + ": it was in flight at "
                + crashes
                + " crashes of the serving child in a row; answering EIO to it"
                + " until "
                + Instant.ofEpochMilli(until)
                + " (the other requests are served; see docs/RECOVERY.md,"
                + " poison requests)");
      } else if (suspects.size() < InFlightRing.MAX_SUSPECTS) {
        suspects.add(
            new PoisonState.Suspect(
                id, crashes, pids.subList(Math.max(0, pids.size() - 8), pids.size())));
      }
    }
    if (!seen.isEmpty()) {
      LOG.info(
          "the previous child of FUSE session {} died with {} request(s) in flight: {}",
          prev.session(),
          seen.size(),
          String.join(", ", seen));
    }
    quarantined.forEach(LOG::warn);
    return new PoisonState(prev.session(), prev.generation() + 1, suspects, quarantine, pid);
  }

  /**
   * Requests on the root are never quarantined, only served alone: the daemon's health probe is a
   * stat of the root, and a root answering EIO would make the whole mount useless anyway.
   */
  static boolean quarantinable(RequestId id) {
    return id.node() != ReadOnlyFileSystem.ROOT_INO;
  }

  /** After {@link PoisonPolicy#survival} without a crash the suspects are innocent. */
  private void resetAfterSurvival() {
    Thread t =
        new Thread(
            () -> {
              try {
                Thread.sleep(policy.survival().toMillis());
              } catch (InterruptedException e) {
                return;
              }
              suspectsActive = false;
              try {
                if (PoisonState.load(dir, state.session()).generation() != state.generation()) {
                  return; // a successor took over meanwhile (this process was not the serving one)
                }
                new PoisonState(
                        state.session(),
                        state.generation(),
                        List.of(),
                        state.quarantine(),
                        state.pid())
                    .save(dir);
                LOG.info(
                    "FUSE session {}: served {} s without a crash; crash counts reset",
                    state.session(),
                    policy.survival().toSeconds());
              } catch (IOException e) {
                LOG.warn("cannot reset the crash counts in {}: {}", dir, e.toString());
              }
            },
            "fuse-poison-survival");
    t.setDaemon(true);
    t.start();
  }

  /** The state this generation started with (tests, logs). */
  PoisonState state() {
    return state;
  }

  /** Worker {@code w}'s view; each worker thread uses its own. */
  Slot slot(int w) {
    return new Slot(ring == null ? null : ring.slot(w));
  }

  private boolean quarantined(long key, int opcode, long node, long offset, int size) {
    for (int i = 0; i < quarantine.length; i++) {
      PoisonState.Quarantined q = quarantine[i];
      if (q.id().covers(key, opcode, node, offset, size) && clock.getAsLong() < q.untilMillis()) {
        if (quarantineLogged[i].compareAndSet(false, true)) {
          LOG.warn(
              "answering EIO to {} (quarantined as a poison request until {})",
              RequestId.name(opcode)
                  + " node "
                  + node
                  + (RequestId.isRead(opcode) ? " bytes " + offset + "+" + size : ""),
              Instant.ofEpochMilli(q.untilMillis()));
        }
        return true;
      }
    }
    return false;
  }

  private int suspectIndex(long key) {
    for (int i = 0; i < suspectKeys.length; i++) {
      if (suspectKeys[i] == key) {
        return i;
      }
    }
    return -1;
  }

  /**
   * One worker's gate: {@link #admit} before serving a request, {@link #done} once served, before
   * its reply is written (a kill right after the reply reached the kernel is not the request's
   * doing).
   */
  final class Slot {
    private final InFlightRing.Slot notes;
    private boolean noted;
    private int suspect = -1;
    private long suspectKey;

    private Slot(InFlightRing.Slot notes) {
      this.notes = notes;
    }

    /**
     * Notes the request of {@code n} bytes at index 0 of {@code in} as in flight (a suspect waits
     * until no other suspect is being served). False: it is quarantined; answer EIO without serving
     * it. Call {@link #done} once its reply is built, either way.
     */
    boolean admit(ByteBuffer in, int n) {
      int opcode = in.getInt(4);
      if (notes == null || !RequestId.tracked(opcode)) {
        return true;
      }
      long key = RequestId.keyOf(in, n);
      long node = in.getLong(16);
      long offset = 0;
      int size = 0;
      if (RequestId.isRead(opcode) && n >= Wire.IN_HEADER + 20) {
        offset = in.getLong(Wire.IN_HEADER + 8);
        size = in.getInt(Wire.IN_HEADER + 16);
      }
      if (quarantine.length > 0 && quarantined(key, opcode, node, offset, size)) {
        return false;
      }
      if (suspectsActive) {
        int i = suspectIndex(key);
        if (i >= 0) {
          alone.lock();
          suspect = i;
          suspectKey = key;
        }
      }
      notes.begin(key, opcode, node, offset, size, in.getLong(8));
      noted = true;
      return true;
    }

    /**
     * The request of the last {@link #admit} is served (its reply built) or needs no answer;
     * idempotent.
     */
    void done() {
      if (noted) {
        notes.end();
        noted = false;
      }
      if (suspect >= 0) {
        ring.markCleared(suspect, suspectKey);
        suspect = -1;
        alone.unlock();
      }
    }
  }
}
