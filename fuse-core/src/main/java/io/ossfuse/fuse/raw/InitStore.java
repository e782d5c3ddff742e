package io.ossfuse.fuse.raw;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.Properties;

/**
 * Persists the INIT {@link Negotiation} of a connection in {@code <stateDir>/fuse-init.properties}.
 * Written to a temporary file, fsync'd and renamed: a child killed at any point leaves either the
 * old record or the new one, never a torn file.
 */
final class InitStore {
  static final String FILE = "fuse-init.properties";

  private final Path file;
  private final String session;

  InitStore(SessionState state) {
    this.file = state.stateDir().resolve(FILE);
    this.session = state.sessionId();
  }

  /** The record saved for this session, if any (a record of another session is ignored). */
  Optional<Negotiation> load() throws IOException {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    Properties p = new Properties();
    p.load(new StringReader(text));
    if (!session.equals(p.getProperty("session"))) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new Negotiation(
              session,
              Integer.parseInt(p.getProperty("kernelMajor")),
              Integer.parseInt(p.getProperty("kernelMinor")),
              Long.parseUnsignedLong(p.getProperty("kernelFlags"), 16),
              Integer.parseInt(p.getProperty("minor")),
              Long.parseUnsignedLong(p.getProperty("flags"), 16),
              Integer.parseInt(p.getProperty("maxReadahead")),
              Integer.parseInt(p.getProperty("maxWrite")),
              Integer.parseInt(p.getProperty("maxPages"))));
    } catch (RuntimeException e) {
      throw new IOException("corrupt " + file + " (" + e + "): delete it and restart the mount", e);
    }
  }

  void save(Negotiation n) throws IOException {
    Properties p = new Properties();
    p.setProperty("session", n.session());
    p.setProperty("kernelMajor", Integer.toString(n.kernelMajor()));
    p.setProperty("kernelMinor", Integer.toString(n.kernelMinor()));
    p.setProperty("kernelFlags", Long.toHexString(n.kernelFlags()));
    p.setProperty("minor", Integer.toString(n.minor()));
    p.setProperty("flags", Long.toHexString(n.flags()));
    p.setProperty("maxReadahead", Integer.toString(n.maxReadahead()));
    p.setProperty("maxWrite", Integer.toString(n.maxWrite()));
    p.setProperty("maxPages", Integer.toString(n.maxPages()));
    StringWriter w = new StringWriter();
    p.store(w, "FUSE INIT of this mount; read by the next serving child generation");
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(w.toString().getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
