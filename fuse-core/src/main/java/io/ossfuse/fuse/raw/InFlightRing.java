package io.ossfuse.fuse.raw;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The requests a serving child is in the middle of, in a memory-mapped file of the session
 * directory, so they outlive the child: its successor reads which requests were in flight when it
 * died ({@link PoisonGuard}). A file written by a process that was killed is complete up to its
 * last store — the page cache holds it — so no syscall and no fsync per request.
 *
 * <p>Each worker owns a ring of {@link #ENTRIES} entries of one cache line each (no sharing, no
 * lock): {@link Slot#begin} fills the next entry and stamps it in flight, {@link Slot#end} stamps
 * it done. The stamp is a hash of the entry's fields and the writer's generation with the low bit
 * as the in-flight flag, so a torn entry, one of an older generation or garbage never reads as in
 * flight.
 *
 * <pre>
 * 0     header: magic, version, workers, entries per worker, generation
 * 64    cleared marks: one long per suspect of the generation (PoisonGuard)
 * 2112  worker w's ring: ENTRIES x 64 bytes {stamp, key, node, offset, opcode, size, unique}
 * </pre>
 */
final class InFlightRing {
  static final String FILE = "inflight.ring";

  /** Entries per worker; a power of two. */
  static final int ENTRIES = 4;

  /** Cleared marks: at most this many suspects are tracked per generation. */
  static final int MAX_SUSPECTS = 256;

  private static final long MAGIC = 0x4F535346_52494E47L; // "OSSFRING"
  private static final int VERSION = 1;
  private static final int HEADER = 64;
  private static final int CLEARED = HEADER;
  private static final int RINGS = CLEARED + MAX_SUSPECTS * 8;
  private static final int ENTRY = 64;
  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private final MappedByteBuffer map;
  private final int workers;
  private final long generation;

  private InFlightRing(MappedByteBuffer map, int workers, long generation) {
    this.map = map;
    this.workers = workers;
    this.generation = generation;
  }

  static int fileSize(int workers) {
    return RINGS + workers * ENTRIES * ENTRY;
  }

  /** Replaces {@code file} with an empty ring for {@code workers} writers of {@code generation}. */
  static InFlightRing create(Path file, int workers, long generation) throws IOException {
    if (workers < 1 || workers > 256) {
      throw new IllegalArgumentException("workers=" + workers);
    }
    Files.deleteIfExists(file);
    MappedByteBuffer m;
    try (FileChannel ch =
        FileChannel.open(
            file,
            java.util.Set.of(
                StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      m = ch.map(FileChannel.MapMode.READ_WRITE, 0, fileSize(workers)); // zero-filled
    }
    m.order(ByteOrder.LITTLE_ENDIAN);
    m.putInt(8, VERSION);
    m.putInt(12, workers);
    m.putInt(16, ENTRIES);
    m.putLong(24, generation);
    LONGS.setVolatile(m, 0, MAGIC);
    return new InFlightRing(m, workers, generation);
  }

  /** The writer of worker {@code w}; one thread per slot. */
  Slot slot(int w) {
    if (w < 0 || w >= workers) {
      throw new IllegalArgumentException("worker " + w + " of " + workers);
    }
    return new Slot(RINGS + w * ENTRIES * ENTRY);
  }

  /** Marks suspect {@code index} of this generation as served to completion at least once. */
  void markCleared(int index, long key) {
    if (index >= 0 && index < MAX_SUSPECTS) {
      LONGS.setVolatile(map, CLEARED + index * 8, clearedMark(generation, key));
    }
  }

  /** One worker's ring. Not thread-safe: its worker only. */
  final class Slot {
    private final int base;
    private int seq;
    private int current = -1;
    private long stamp;

    private Slot(int base) {
      this.base = base;
    }

    /** Notes a request as in flight; it stays so until {@link #end} (or the process dies). */
    void begin(long key, int opcode, long node, long offset, int size, long unique) {
      int p = base + (seq++ & (ENTRIES - 1)) * ENTRY;
      map.putLong(p + 8, key);
      map.putLong(p + 16, node);
      map.putLong(p + 24, offset);
      map.putInt(p + 32, opcode);
      map.putInt(p + 36, size);
      map.putLong(p + 40, unique);
      current = p;
      stamp = stamp(generation, key, node, offset, opcode, size);
      LONGS.setVolatile(map, p, stamp | 1); // published after the fields, before the work
    }

    /** The request of the last {@link #begin} is answered. */
    void end() {
      if (current >= 0) {
        LONGS.setRelease(map, current, stamp);
        current = -1;
      }
    }
  }

  /**
   * What a ring file says about {@code generation}: the requests in flight when its writer stopped,
   * and which suspects were cleared.
   */
  record Snapshot(List<RequestId> inFlight, long[] clearedMarks, long generation) {
    static final Snapshot EMPTY = new Snapshot(List.of(), new long[0], 0);

    boolean cleared(int index, long key) {
      return index >= 0
          && index < clearedMarks.length
          && clearedMarks[index] == clearedMark(generation, key);
    }
  }

  /**
   * Reads {@code file} as left by a dead writer of {@code generation}. A missing file is empty; one
   * that is not a ring (torn, truncated, garbage, another layout) throws, and the caller ignores
   * it. Entries that are torn, of another generation or not in flight are skipped.
   */
  static Snapshot read(Path file, long generation) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Snapshot.EMPTY;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < RINGS
        || b.getLong(0) != MAGIC
        || b.getInt(8) != VERSION
        || b.getInt(16) != ENTRIES) {
      throw new IOException("not an in-flight ring (" + bytes.length + " bytes, bad header)");
    }
    int w = b.getInt(12);
    if (w < 1 || w > 256 || bytes.length != fileSize(w)) {
      throw new IOException(
          "in-flight ring of " + bytes.length + " bytes does not match its " + w + " workers");
    }
    List<RequestId> inFlight = new ArrayList<>();
    for (int p = RINGS; p + ENTRY <= bytes.length; p += ENTRY) {
      long s = b.getLong(p);
      if ((s & 1) == 0) {
        continue;
      }
      long key = b.getLong(p + 8);
      long node = b.getLong(p + 16);
      long offset = b.getLong(p + 24);
      int opcode = b.getInt(p + 32);
      int size = b.getInt(p + 36);
      if (s == (stamp(generation, key, node, offset, opcode, size) | 1)) {
        inFlight.add(new RequestId(key, opcode, node, offset, size));
      }
    }
    long[] cleared = new long[MAX_SUSPECTS];
    for (int i = 0; i < MAX_SUSPECTS; i++) {
      cleared[i] = b.getLong(CLEARED + i * 8);
    }
    return new Snapshot(List.copyOf(inFlight), cleared, generation);
  }

  private static long stamp(
      long generation, long key, long node, long offset, int opcode, int size) {
    long s =
        RequestId.mix(
            generation
                ^ RequestId.mix(
                    key
                        ^ RequestId.mix(
                            node
                                ^ RequestId.mix(
                                    offset ^ (((long) opcode << 32) | (size & 0xffffffffL))))));
    s &= ~1L;
    return s == 0 ? 2 : s;
  }

  private static long clearedMark(long generation, long key) {
    long m = RequestId.mix(RequestId.mix(generation) ^ key ^ 0x5A5A5A5A5A5A5A5AL);
    return m == 0 ? 1 : m;
  }
}
