package io.ossfuse.fuse.raw;

import io.ossfuse.fs.BackingFile;
import io.ossfuse.fs.Errno;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides how each OPEN of a passthrough session is answered, and keeps the backing ids registered
 * with the connection.
 *
 * <h2>The kernel's rules (fs/fuse/iomode.c)</h2>
 *
 * An inode with a passthrough open has exactly one backing file: every further open of it must be
 * passthrough with that same backing id, or the opener gets EIO. An inode with an open that reads
 * through its page cache cannot get a passthrough open (EIO too). So per node we count the
 * passthrough opens and the others, and:
 *
 * <ul>
 *   <li>passthrough opens exist: answer the bound id; an open of another version (the ETag changed)
 *       gets FOPEN_PASSTHROUGH|FOPEN_DIRECT_IO, so its reads still come to us and are served at its
 *       own version (the backing file then serves only mmap);
 *   <li>no open at all and the filesystem offers a whole file of the version: register it, answer
 *       FOPEN_PASSTHROUGH;
 *   <li>otherwise: the usual path (a file opened that way keeps it until closed).
 * </ul>
 *
 * The last passthrough RELEASE of a node releases its id. Our counts only ever exceed the kernel's
 * (counted before the reply, dropped after its RELEASE), so the rules above never make it refuse.
 *
 * <h2>Across child generations</h2>
 *
 * Ids live in the connection the daemon keeps, opens in the kernel: a successor must know both.
 * Every change is appended to {@value #FILE} in the session's state dir before the reply is written
 * (a plain write, no fsync: the file outlives a killed process). A successor replays it, forgets
 * opens whose OPEN the kernel re-sends (the reply never arrived), releases ids no open uses, and
 * rewrites the log compactly. An id registered by a child killed before it could log it is found by
 * probing the ids just above the highest logged one (the kernel allocates them cyclically upwards).
 *
 * <p>Over 400 lines because the decision per OPEN, the log and its replay must agree line by line;
 * the log format and replay could move to their own class once passthrough is on by default.
 */
final class PassthroughOpens {
  private static final Logger LOG = LoggerFactory.getLogger(PassthroughOpens.class);
  static final String FILE = "fuse-passthrough.log";

  /** Ids above the highest logged one tried when a registration was not logged. */
  private static final int PROBE = 8;

  private static final int COMPACT_AFTER = 10_000;

  /** How an OPEN is answered: fuse_open_out.open_flags and backing_id (0: none). */
  record Decision(int openFlags, int backingId) {}

  private static final class Node {
    int backingId;
    String version;
    String path;

    /**
     * Pins the backing file in the cache while the id is registered; null when adopted from the
     * log.
     */
    BackingFile file;

    int passthroughOpens;
    int otherOpens;
  }

  private record OpenKey(long fh, boolean passthrough) {}

  private static final class Open {
    final long node;
    int count;

    Open(long node) {
      this.node = node;
    }
  }

  private final BackingIds ids;
  private final Path file;
  private final String session;
  private final Map<Long, Node> nodes = new HashMap<>();
  private final Map<OpenKey, Open> opens = new HashMap<>();

  /** Request ids of OPENs a predecessor logged: a re-sent one was never answered. */
  private final Map<Long, OpenKey> predecessorUniques = new HashMap<>();

  private final AtomicLong passthroughAnswers = new AtomicLong();
  private FileChannel log;
  private int maxId;
  private int linesSinceCompaction;

  /** The log cannot be written: no new registrations (a successor could not know them). */
  private boolean broken;

  private PassthroughOpens(BackingIds ids, Path file, String session) {
    this.ids = ids;
    this.file = file;
    this.session = session;
  }

  /**
   * Loads the session's log (a predecessor's state), releases the ids nobody uses any more and
   * starts a compact log.
   */
  static PassthroughOpens open(SessionState state, BackingIds ids) throws IOException {
    PassthroughOpens p =
        new PassthroughOpens(ids, state.stateDir().resolve(FILE), state.sessionId());
    synchronized (p) {
      boolean pending = p.replay();
      p.releaseUnused(pending);
      p.compact();
    }
    return p;
  }

  /** Passthrough opens answered by this process. */
  long passthroughAnswers() {
    return passthroughAnswers.get();
  }

  /** Registered ids (tests, status). */
  synchronized int registeredIds() {
    int n = 0;
    for (Node s : nodes.values()) {
      if (s.backingId > 0) {
        n++;
      }
    }
    return n;
  }

  /**
   * Decides the answer to OPEN request {@code unique} of {@code node}, whose filesystem answer is
   * {@code fh} with {@code usualFlags}, and counts the open. Releases {@code offered} unless it
   * keeps it to pin a registered backing file.
   */
  synchronized Decision open(long unique, long node, long fh, int usualFlags, BackingFile offered) {
    if ((unique & Wire.UNIQUE_RESEND) != 0) {
      forgetUnanswered(unique & ~Wire.UNIQUE_RESEND);
    }
    Node s = nodes.get(node);
    Decision d;
    if (s != null && s.passthroughOpens > 0) {
      boolean sameVersion = offered != null && offered.version().equals(s.version);
      d =
          new Decision(
              Wire.FOPEN_PASSTHROUGH
                  | Wire.FOPEN_NOFLUSH
                  | (sameVersion ? 0 : Wire.FOPEN_DIRECT_IO),
              s.backingId);
      if (sameVersion) {
        offered.usedForOpen();
        passthroughAnswers.incrementAndGet();
        if (s.file == null) {
          s.file = offered; // adopted from a predecessor: pin it again
          offered = null;
        }
      }
    } else if ((s == null || s.otherOpens == 0) && offered != null && !broken) {
      d = register(node, offered);
      if (d.backingId() > 0) {
        offered.usedForOpen();
        passthroughAnswers.incrementAndGet();
        offered = null; // pinned by the node now
      } else {
        d = new Decision(usualFlags, 0);
      }
    } else {
      d = new Decision(usualFlags, 0);
    }
    if (offered != null) {
      offered.release();
    }
    boolean pt = d.backingId() > 0;
    Node n = nodes.computeIfAbsent(node, k -> new Node());
    if (pt) {
      n.passthroughOpens++;
    } else {
      n.otherOpens++;
    }
    opens.computeIfAbsent(new OpenKey(fh, pt), k -> new Open(node)).count++;
    append("O " + unique + " " + fh + " " + node + " " + (pt ? 'p' : 'o'));
    return d;
  }

  private Decision register(long node, BackingFile offered) {
    append("P " + node);
    if (broken) {
      return new Decision(0, 0);
    }
    int id;
    try {
      id = ids.open(offered.path());
    } catch (IOException e) {
      LOG.warn(
          "passthrough for node {} not possible, reading through the cache: {}",
          node,
          e.getMessage());
      return new Decision(0, 0);
    }
    Node s = nodes.computeIfAbsent(node, k -> new Node());
    s.backingId = id;
    s.version = offered.version();
    s.path = offered.path().toString();
    s.file = offered;
    maxId = Math.max(maxId, id);
    append("B " + id + " " + node + " " + enc(s.version) + " " + enc(s.path));
    return new Decision(Wire.FOPEN_PASSTHROUGH | Wire.FOPEN_NOFLUSH, id);
  }

  /** The kernel released handle {@code fh} of {@code node}. Unknown handles are ignored. */
  synchronized void release(long node, long fh) {
    OpenKey k = new OpenKey(fh, true);
    Open o = opens.get(k);
    if (o == null || o.node != node) {
      k = new OpenKey(fh, false);
      o = opens.get(k);
    }
    if (o == null || o.node != node) {
      return;
    }
    append("R " + fh + " " + node + " " + (k.passthrough() ? 'p' : 'o'));
    uncount(k, o);
    maybeCompact();
  }

  /**
   * The reply to an OPEN never reached the kernel (the opener was interrupted): it opened nothing.
   */
  synchronized void replyLost(long node, long fh, boolean passthrough) {
    OpenKey k = new OpenKey(fh, passthrough);
    Open o = opens.get(k);
    if (o != null && o.node == node) {
      append("R " + fh + " " + node + " " + (passthrough ? 'p' : 'o'));
      uncount(k, o);
    }
  }

  private void forgetUnanswered(long unique) {
    OpenKey k = predecessorUniques.remove(unique);
    Open o = k == null ? null : opens.get(k);
    if (o != null) {
      LOG.debug("OPEN {} re-sent: the predecessor's answer never arrived", unique);
      append("R " + k.fh() + " " + o.node + " " + (k.passthrough() ? 'p' : 'o'));
      uncount(k, o);
    }
  }

  private void uncount(OpenKey k, Open o) {
    if (--o.count <= 0) {
      opens.remove(k);
    }
    Node s = nodes.get(o.node);
    if (s == null) {
      return;
    }
    if (k.passthrough()) {
      s.passthroughOpens = Math.max(0, s.passthroughOpens - 1);
      if (s.passthroughOpens == 0) {
        closeId(s);
      }
    } else {
      s.otherOpens = Math.max(0, s.otherOpens - 1);
    }
    if (s.passthroughOpens == 0 && s.otherOpens == 0 && s.backingId == 0) {
      nodes.remove(o.node);
    }
  }

  private void closeId(Node s) {
    if (s.backingId <= 0) {
      return;
    }
    int e = ids.close(s.backingId);
    if (e != 0 && !Errno.ENOENT.is(e)) {
      LOG.warn("releasing backing id {} failed (errno {})", s.backingId, e);
    }
    append("C " + s.backingId);
    s.backingId = 0;
    s.version = null;
    s.path = null;
    if (s.file != null) {
      s.file.release();
      s.file = null;
    }
  }

  // ---- the log ----------------------------------------------------------------------------

  /** Rebuilds the state from the log; returns whether a registration may have gone unlogged. */
  private boolean replay() throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return false;
    }
    if (lines.isEmpty() || !lines.get(0).equals("S " + session)) {
      return false; // another connection's ids died with it
    }
    Long pendingNode = null;
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(" ");
      try {
        switch (f[0]) {
          case "M" -> maxId = Math.max(maxId, Integer.parseInt(f[1]));
          case "P" -> pendingNode = Long.parseLong(f[1]);
          case "B" -> {
            int id = Integer.parseInt(f[1]);
            Node s = nodes.computeIfAbsent(Long.parseLong(f[2]), k -> new Node());
            s.backingId = id;
            s.version = dec(f[3]);
            s.path = dec(f[4]);
            maxId = Math.max(maxId, id);
            pendingNode = null;
          }
          case "C" -> {
            int id = Integer.parseInt(f[1]);
            for (Node s : nodes.values()) {
              if (s.backingId == id) {
                s.backingId = 0;
                s.version = null;
                s.path = null;
              }
            }
          }
          case "O" -> {
            long unique = Long.parseLong(f[1]);
            OpenKey k = new OpenKey(Long.parseLong(f[2]), f[4].equals("p"));
            long node = Long.parseLong(f[3]);
            opens.computeIfAbsent(k, x -> new Open(node)).count++;
            Node s = nodes.computeIfAbsent(node, x -> new Node());
            if (k.passthrough()) {
              s.passthroughOpens++;
            } else {
              s.otherOpens++;
            }
            predecessorUniques.put(unique & ~Wire.UNIQUE_RESEND, k);
            if (pendingNode != null && pendingNode == node) {
              pendingNode = null; // the registration failed: the open went the usual way
            }
          }
          case "R" -> {
            OpenKey k = new OpenKey(Long.parseLong(f[1]), f[3].equals("p"));
            Open o = opens.get(k);
            if (o != null) {
              if (--o.count <= 0) {
                opens.remove(k);
              }
              Node s = nodes.get(o.node);
              if (s != null) {
                if (k.passthrough()) {
                  s.passthroughOpens = Math.max(0, s.passthroughOpens - 1);
                } else {
                  s.otherOpens = Math.max(0, s.otherOpens - 1);
                }
              }
            }
          }
          default -> LOG.debug("{}: skipping line '{}'", file, line);
        }
      } catch (RuntimeException e) {
        // a line torn by a kill mid-write can only be the last one
        LOG.debug("{}: skipping torn line '{}'", file, line);
      }
    }
    return pendingNode != null;
  }

  /** After a replay: releases ids without passthrough opens, and any registration not logged. */
  private void releaseUnused(boolean pending) {
    int released = 0;
    for (Node s : nodes.values()) {
      if (s.backingId > 0 && s.passthroughOpens == 0) {
        ids.close(s.backingId);
        s.backingId = 0;
        s.version = null;
        s.path = null;
        released++;
      }
    }
    if (pending) {
      for (int id = maxId + 1; id <= maxId + PROBE; id++) {
        if (ids.close(id) == 0) {
          LOG.info("released backing id {} a predecessor registered but did not log", id);
          released++;
        }
      }
      maxId += PROBE;
    }
    nodes.values().removeIf(s -> s.backingId == 0 && s.passthroughOpens == 0 && s.otherOpens == 0);
    if (released > 0) {
      LOG.info("released {} backing ids no open file uses any more", released);
    }
  }

  private void maybeCompact() {
    if (linesSinceCompaction > COMPACT_AFTER
        && linesSinceCompaction > 4 * (opens.size() + nodes.size())) {
      try {
        compact();
      } catch (IOException e) {
        brake(e);
      }
    }
  }

  /** Rewrites the log with the live state only (temp file + rename: never torn). */
  private void compact() throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("S ").append(session).append('\n');
    sb.append("M ").append(maxId).append('\n');
    for (Map.Entry<Long, Node> e : nodes.entrySet()) {
      Node s = e.getValue();
      if (s.backingId > 0) {
        sb.append("B ")
            .append(s.backingId)
            .append(' ')
            .append(e.getKey())
            .append(' ')
            .append(enc(s.version))
            .append(' ')
            .append(enc(s.path))
            .append('\n');
      }
    }
    Map<OpenKey, Long> uniqueOf = new HashMap<>();
    for (Map.Entry<Long, OpenKey> e : predecessorUniques.entrySet()) {
      uniqueOf.put(e.getValue(), e.getKey());
    }
    for (Map.Entry<OpenKey, Open> e : opens.entrySet()) {
      OpenKey k = e.getKey();
      for (int i = 0; i < e.getValue().count; i++) {
        sb.append("O ")
            .append(uniqueOf.getOrDefault(k, 0L))
            .append(' ')
            .append(k.fh())
            .append(' ')
            .append(e.getValue().node)
            .append(' ')
            .append(k.passthrough() ? 'p' : 'o')
            .append('\n');
      }
    }
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(FILE + ".tmp");
    Files.writeString(tmp, sb, StandardCharsets.UTF_8);
    if (log != null) {
      log.close();
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    log = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    linesSinceCompaction = 0;
  }

  private void append(String line) {
    if (log == null || broken) {
      return;
    }
    try {
      ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        log.write(b);
      }
      linesSinceCompaction++;
    } catch (IOException e) {
      brake(e);
    }
  }

  private void brake(IOException e) {
    broken = true;
    LOG.warn("cannot write {} ({}); no new passthrough opens in this process", file, e.toString());
  }

  /** Closes the log (the state stays on disk for a successor). */
  synchronized void close() {
    try {
      if (log != null) {
        log.close();
      }
    } catch (IOException ignored) {
      // appends are plain writes: nothing buffered to lose
    }
    log = null;
  }

  /** Snapshot of open counts per node (tests): {passthrough, other, backingId}. */
  synchronized Map<Long, int[]> counts() {
    Map<Long, int[]> m = new HashMap<>();
    nodes.forEach((k, s) -> m.put(k, new int[] {s.passthroughOpens, s.otherOpens, s.backingId}));
    return m;
  }

  /** Backing ids currently registered (tests). */
  synchronized List<Integer> liveIds() {
    List<Integer> l = new ArrayList<>();
    for (Node s : nodes.values()) {
      if (s.backingId > 0) {
        l.add(s.backingId);
      }
    }
    return l;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String dec(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
