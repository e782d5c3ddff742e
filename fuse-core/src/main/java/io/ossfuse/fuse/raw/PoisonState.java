package io.ossfuse.fuse.raw;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * What one serving generation hands the next about crashes ({@link PoisonGuard}), in {@code
 * <stateDir>/poison.properties}: the generation number (stamped into the in-flight ring), the
 * requests in flight at the last crashes with how many crashes in a row each saw, and the
 * quarantined ones. Replaced atomically (temporary file, rename): a child killed at any point
 * leaves the old state or the new one. Not fsync'd: it must survive a process, not the machine (a
 * reboot ends the FUSE connection anyway).
 *
 * @param session the FUSE session it belongs to; a state of another session is ignored
 * @param pid the serving child that wrote it (0: unknown), for the next one to look up how it ended
 */
record PoisonState(
    String session,
    long generation,
    List<Suspect> suspects,
    List<Quarantined> quarantine,
    long pid) {
  static final String FILE = "poison.properties";

  /**
   * A request in flight at the last {@code crashes} crashes in a row; {@code pids} are the children
   * that died with it in flight (as far as known), to tell a crash from an outside kill.
   */
  record Suspect(RequestId id, int crashes, List<Long> pids) {
    Suspect {
      pids = List.copyOf(pids);
    }
  }

  /** A request answered EIO until {@code untilMillis} (wall clock). */
  record Quarantined(RequestId id, long untilMillis) {}

  PoisonState {
    suspects = List.copyOf(suspects);
    quarantine = List.copyOf(quarantine);
  }

  static PoisonState fresh(String session) {
    return new PoisonState(session, 0, List.of(), List.of(), 0);
  }

  /**
   * The state in {@code dir}: fresh if there is none or it is another session's; throws if
   * unreadable.
   */
  static PoisonState load(Path dir, String session) throws IOException {
    String text;
    try {
      text = Files.readString(dir.resolve(FILE), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return fresh(session);
    }
    Properties p = new Properties();
    p.load(new StringReader(text));
    if (!session.equals(p.getProperty("session"))) {
      return fresh(session);
    }
    try {
      long generation = Long.parseLong(p.getProperty("generation"));
      List<Suspect> suspects = new ArrayList<>();
      for (int i = 0; p.getProperty("suspect." + i) != null; i++) {
        String[] f = p.getProperty("suspect." + i).split(",");
        List<Long> pids =
            f.length > 6 && !f[6].isEmpty()
                ? java.util.Arrays.stream(f[6].split(";")).map(Long::valueOf).toList()
                : List.of();
        suspects.add(new Suspect(id(f), Integer.parseInt(f[5]), pids));
      }
      List<Quarantined> quarantine = new ArrayList<>();
      for (int i = 0; p.getProperty("quarantine." + i) != null; i++) {
        String[] f = p.getProperty("quarantine." + i).split(",");
        quarantine.add(new Quarantined(id(f), Long.parseLong(f[5])));
      }
      return new PoisonState(
          session, generation, suspects, quarantine, Long.parseLong(p.getProperty("pid", "0")));
    } catch (RuntimeException e) {
      throw new IOException("unreadable " + dir.resolve(FILE) + " (" + e + ")", e);
    }
  }

  void save(Path dir) throws IOException {
    Properties p = new Properties();
    p.setProperty("session", session);
    p.setProperty("generation", Long.toString(generation));
    p.setProperty("pid", Long.toString(pid));
    for (int i = 0; i < suspects.size(); i++) {
      Suspect s = suspects.get(i);
      p.setProperty(
          "suspect." + i,
          fields(s.id())
              + ","
              + s.crashes()
              + ","
              + String.join(";", s.pids().stream().map(String::valueOf).toList()));
    }
    for (int i = 0; i < quarantine.size(); i++) {
      Quarantined q = quarantine.get(i);
      p.setProperty("quarantine." + i, fields(q.id()) + "," + q.untilMillis());
    }
    StringWriter w = new StringWriter();
    p.store(
        w, "requests in flight at the last crashes of this mount's children (docs/RECOVERY.md)");
    Path tmp = dir.resolve(FILE + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(
        tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, w.toString(), StandardCharsets.UTF_8);
    Files.move(
        tmp,
        dir.resolve(FILE),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  private static String fields(RequestId id) {
    return Long.toHexString(id.key())
        + ","
        + id.opcode()
        + ","
        + id.node()
        + ","
        + id.offset()
        + ","
        + id.size();
  }

  private static RequestId id(String[] f) {
    return new RequestId(
        Long.parseUnsignedLong(f[0], 16),
        Integer.parseInt(f[1]),
        Long.parseLong(f[2]),
        Long.parseLong(f[3]),
        Integer.parseInt(f[4]));
  }
}
