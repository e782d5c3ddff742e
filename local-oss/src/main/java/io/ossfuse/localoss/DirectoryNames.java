package io.ossfuse.localoss;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The entries of a bucket directory in OSS key order, kept while the directory is unchanged: a
 * listing of a 10,000-key directory is ten pages, and each page used to read, stat and sort all of
 * it again (the endpoint then cost more CPU than the client it served). Only names and types are
 * kept; sizes and times are read when an entry is listed, since overwriting a file in place does
 * not change its directory.
 *
 * <p>A directory's name set changes only with its mtime. A snapshot is kept only when that mtime is
 * older than {@link #SETTLED}: a change made while the names are read then gets a later mtime than
 * the one kept, even with coarse timestamps.
 */
final class DirectoryNames {
  /** One entry: its name as it sorts ("dir/" for a directory) and its path. */
  record Name(String sortName, Path path, boolean directory) {}

  private record Snapshot(FileTime mtime, List<Name> names) {}

  static final java.time.Duration SETTLED = java.time.Duration.ofMillis(100);
  private static final int MAX_DIRECTORIES = 64;

  private final Map<Path, Snapshot> snapshots =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, Snapshot> eldest) {
          return size() > MAX_DIRECTORIES;
        }
      };

  /** The entries of {@code d} in key order; empty if it is not a directory (any more). */
  List<Name> of(Path d) {
    FileTime mtime;
    try {
      mtime = Files.getLastModifiedTime(d);
    } catch (IOException e) {
      return List.of();
    }
    synchronized (snapshots) {
      Snapshot s = snapshots.get(d);
      if (s != null && s.mtime.equals(mtime)) return s.names;
    }
    List<Name> names = read(d);
    if (mtime.toInstant().isBefore(Instant.now().minus(SETTLED))) {
      synchronized (snapshots) {
        snapshots.put(d, new Snapshot(mtime, names));
      }
    }
    return names;
  }

  private static List<Name> read(Path d) {
    List<Name> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
      for (Path p : ds) {
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (IOException e) {
          continue; // dangling link or raced delete
        }
        String n = p.getFileName().toString();
        if (!d.resolve(n).equals(p)) {
          // A file name that is not UTF-8 decodes lossily (U+FFFD) and could not be found
          // again by that key: such keys cannot be stored here, so none is listed.
          continue;
        }
        if (a.isDirectory()) {
          out.add(new Name(n + "/", p, true));
        } else if (a.isRegularFile()) {
          out.add(new Name(n, p, false));
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + d, e);
    }
    out.sort((x, y) -> Codec.compareKeys(x.sortName(), y.sortName()));
    return List.copyOf(out);
  }
}
