package io.ossfuse.fs;

import java.io.Closeable;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata a child learnt (HEAD and listing results, with the wall-clock time each stops being
 * trusted), written to the state directory for its standby: a child taking over starts with them
 * ({@link MetaPreload}) instead of asking the store again for every path its readers touch, each a
 * HEAD while they wait. Each entry keeps the expiry its first fetch gave it, so nothing is trusted
 * longer than the metadata TTL (docs/SEMANTICS.md).
 *
 * <p>One text line per record, appended by a thread of its own every {@link #FLUSH_MILLIS} (a kill
 * loses at most the last ones: a miss, then a HEAD). Past {@link #MAX_BYTES} the file starts afresh
 * (a new file renamed over it). Lines: {@code P <expiresMs> <size> <mtimeMs> <etag|-> <key> <path>}
 * (a file or directory), {@code N <expiresMs> <path>} (absent), {@code I <path>} (forgotten);
 * strings URL-encoded.
 */
public final class MetaJournal implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(MetaJournal.class);
  static final String FILE = "metadata.log";
  static final long MAX_BYTES = 8L << 20;
  static final long FLUSH_MILLIS = 20;
  private static final int MAX_QUEUED = 200_000;

  private final Path file;

  /** A record as the request thread hands it over: formatted by the journal's thread. */
  private record Rec(String path, Optional<Node> node, long expiresAtMillis) {}

  private final LinkedBlockingQueue<Rec> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
  private final Thread writer;
  private volatile boolean closed;
  private FileChannel out;
  private long written;

  private MetaJournal(Path file) {
    this.file = file;
    this.writer = new Thread(this::writeLoop, "metadata-journal");
    this.writer.setDaemon(true);
  }

  /** Starts a fresh journal in {@code stateDir} (what a predecessor wrote is replaced). */
  public static MetaJournal open(Path stateDir) throws IOException {
    return open(stateDir, null);
  }

  /**
   * As {@link #open(Path)}, the journal starting with what {@code ahead} (may be null, else
   * finished) read of the predecessor's, for the next successor: written by the journal's thread
   * before any record of this process (a later one wins), not while requests wait.
   */
  public static MetaJournal open(Path stateDir, MetaPreload ahead) throws IOException {
    MetaJournal j = new MetaJournal(stateDir.resolve(FILE));
    j.carried = ahead == null ? null : ahead.current();
    j.startFile();
    j.writer.start();
    return j;
  }

  private java.util.Map<String, MetaPreload.Seed> carried;

  private void writeCarried() throws IOException {
    java.util.Map<String, MetaPreload.Seed> c = carried;
    carried = null;
    if (c == null) return;
    long now = System.currentTimeMillis();
    StringBuilder sb = new StringBuilder();
    for (var e : c.entrySet()) {
      MetaPreload.Seed s = e.getValue();
      if (s.expiresAtMillis() <= now) continue;
      sb.append(
              s.node().isPresent()
                  ? presentLine(e.getKey(), s.node().get(), s.expiresAtMillis())
                  : "N " + s.expiresAtMillis() + ' ' + enc(e.getKey()))
          .append('\n');
    }
    ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
    written += b.remaining();
    while (b.hasRemaining()) out.write(b);
  }

  void present(String path, Node n, long expiresAtMillis) {
    offer(new Rec(path, Optional.of(n), expiresAtMillis));
  }

  private static String presentLine(String path, Node n, long expiresAtMillis) {
    return "P "
        + expiresAtMillis
        + ' '
        + n.size()
        + ' '
        + n.mtime().toEpochMilli()
        + ' '
        + (n.isDir() ? "/" : n.etag() == null ? "-" : enc(n.etag()))
        + ' '
        + enc(n.key())
        + ' '
        + enc(path);
  }

  void absent(String path, long expiresAtMillis) {
    offer(new Rec(path, Optional.empty(), expiresAtMillis));
  }

  void forgotten(String path) {
    offer(new Rec(path, null, 0));
  }

  private static String line(Rec r) {
    if (r.node() == null) return "I " + enc(r.path());
    return r.node().isPresent()
        ? presentLine(r.path(), r.node().get(), r.expiresAtMillis())
        : "N " + r.expiresAtMillis() + ' ' + enc(r.path());
  }

  private void offer(Rec r) {
    if (!closed && !queue.offer(r)) {
      // the writer cannot keep up: a missing record only costs the successor a request
    }
  }

  /** Parses one line into {@code into} (path → entry; a forgotten path removed); false if torn. */
  static boolean apply(String line, java.util.Map<String, MetaPreload.Seed> into) {
    String[] f = line.split(" ");
    try {
      switch (f[0]) {
        case "P" -> {
          long exp = Long.parseLong(f[1]);
          long size = Long.parseLong(f[2]);
          Instant mtime = Instant.ofEpochMilli(Long.parseLong(f[3]));
          String key = dec(f[5]);
          Node n =
              f[4].equals("/")
                  ? Node.dir(key, mtime)
                  : Node.file(key, size, f[4].equals("-") ? null : dec(f[4]), mtime);
          into.put(dec(f[6]), new MetaPreload.Seed(Optional.of(n), exp));
        }
        case "N" ->
            into.put(dec(f[2]), new MetaPreload.Seed(Optional.empty(), Long.parseLong(f[1])));
        case "I" -> into.remove(dec(f[1]));
        default -> {
          return false;
        }
      }
      return true;
    } catch (RuntimeException torn) {
      return false;
    }
  }

  private void startFile() throws IOException {
    Path tmp = file.resolveSibling(FILE + ".tmp");
    Files.write(tmp, new byte[0]);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    if (out != null) out.close();
    out = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    written = 0;
  }

  private void writeLoop() {
    List<Rec> batch = new ArrayList<>();
    try {
      writeCarried();
      while (!closed) {
        Rec first = queue.poll(FLUSH_MILLIS, TimeUnit.MILLISECONDS);
        if (first == null) continue;
        batch.add(first);
        queue.drainTo(batch);
        StringBuilder sb = new StringBuilder();
        for (Rec r : batch) sb.append(line(r)).append('\n');
        batch.clear();
        ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
        if (written + b.remaining() > MAX_BYTES) startFile();
        written += b.remaining();
        while (b.hasRemaining()) out.write(b);
        Thread.sleep(FLUSH_MILLIS); // one write per interval, not one per record
      }
    } catch (InterruptedException stop) {
      // closing
    } catch (IOException e) {
      LOG.warn("metadata journal {} not written any more: {}", file, e.getMessage());
      closed = true;
    }
  }

  @Override
  public void close() {
    closed = true;
    writer.interrupt();
    try {
      writer.join(1000);
      if (out != null) out.close();
    } catch (IOException | InterruptedException ignored) {
      // the journal is only a hint for a successor
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String dec(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
