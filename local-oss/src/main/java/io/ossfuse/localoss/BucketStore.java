package io.ossfuse.localoss;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.UUID;

/**
 * One bucket backed by a directory: object key = path relative to the bucket directory.
 *
 * <p>Directory markers ("dir/" zero-byte objects): an empty directory is always a marker; a
 * non-empty directory is a marker only when a flag file exists at {@code
 * <root>/.localoss/markers/<bucket>/d-a/d-b/m} (for "a/b/"). That tree lives outside every bucket
 * (".localoss" is not a valid bucket name) and its "d-" prefixed segments cannot clash with the
 * flag "m", so a marker can never collide with a real file. Keys that a filesystem cannot hold
 * ("a//b", "./x", "a/..", a key that is both a file and a directory prefix) are refused on PUT and
 * are simply absent on GET.
 */
final class BucketStore {
  /** Receives listing entries in key order; returning false stops the walk. */
  interface Sink {
    boolean object(ObjectInfo info);

    boolean commonPrefix(String prefix);
  }

  final String name;
  private final Path dir;
  private final Path markerDir;
  private final Path tmpDir;
  private final DirectoryNames names = new DirectoryNames();

  BucketStore(String name, Path dir, Path markerDir, Path tmpDir) {
    this.name = name;
    this.dir = dir;
    this.markerDir = markerDir;
    this.tmpDir = tmpDir;
  }

  /**
   * Maps a key (without trailing '/') to a path inside the bucket, or null if no file can hold it.
   */
  private Path resolve(Path base, String key) {
    if (key.isEmpty() || key.startsWith("/") || key.indexOf('\0') >= 0) {
      return null;
    }
    Path p = base;
    for (String part : key.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        return null;
      }
      p = p.resolve(part);
    }
    return p;
  }

  private static String stripSlash(String key) {
    return key.endsWith("/") ? key.substring(0, key.length() - 1) : key;
  }

  /** Returns the object at {@code key}, or null. */
  ObjectInfo stat(String key) {
    boolean marker = key.endsWith("/");
    Path p = resolve(dir, marker ? stripSlash(key) : key);
    if (p == null) {
      return null;
    }
    BasicFileAttributes a = attrs(p);
    if (a == null) {
      return null;
    }
    if (marker) {
      if (!a.isDirectory() || !(isEmptyDir(p) || hasExplicitMarker(stripSlash(key)))) {
        return null;
      }
      return markerInfo(key, a);
    }
    return a.isRegularFile() ? fileInfo(key, p, a) : null;
  }

  private static ObjectInfo fileInfo(String key, Path p, BasicFileAttributes a) {
    long nanos = a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
    return new ObjectInfo(key, p, a.size(), a.lastModifiedTime().toMillis(), nanos, a.fileKey());
  }

  private static ObjectInfo markerInfo(String key, BasicFileAttributes a) {
    long nanos = a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
    return new ObjectInfo(key, null, 0, a.lastModifiedTime().toMillis(), nanos, a.fileKey());
  }

  private static BasicFileAttributes attrs(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class);
    } catch (IOException e) {
      return null;
    }
  }

  private boolean hasExplicitMarker(String dirKey) {
    Path m = markerFlag(dirKey);
    return m != null && Files.exists(m);
  }

  /** The flag file recording an explicit marker for the directory key (without trailing '/'). */
  private Path markerFlag(String dirKey) {
    if (resolve(dir, dirKey) == null) {
      return null;
    }
    Path p = markerDir;
    for (String part : dirKey.split("/")) {
      p = p.resolve("d-" + part);
    }
    return p.resolve("m");
  }

  private static boolean isEmptyDir(Path p) {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
      return !ds.iterator().hasNext();
    } catch (IOException e) {
      return false;
    }
  }

  // ---- listing ----

  /**
   * Walks keys in OSS order: keys starting with {@code prefix}, strictly after {@code marker} (may
   * be null), rolled up into common prefixes at {@code delimiter} (may be null). A common prefix is
   * reported only if it sorts after the marker, which is how a page that ended on a common prefix
   * continues past it.
   */
  void list(String prefix, String delimiter, String marker, Sink sink) {
    String base = prefix.substring(0, prefix.lastIndexOf('/') + 1);
    Path start = base.isEmpty() ? dir : resolve(dir, stripSlash(base));
    if (start == null || !Files.isDirectory(start)) {
      return;
    }
    Walk walk =
        new Walk(prefix, delimiter == null || delimiter.isEmpty() ? null : delimiter, marker, sink);
    if (!base.isEmpty() && base.equals(prefix)) {
      // the walk starts inside the directory, so its own marker ("dir/" itself) is reported here
      BasicFileAttributes a = attrs(start);
      if (a != null
          && (isEmptyDir(start) || hasExplicitMarker(stripSlash(base)))
          && !walk.emitKey(markerInfo(base, a))) {
        return;
      }
    }
    walk.dir(start, base);
  }

  private final class Walk {
    final String prefix;
    final String delimiter;
    final String marker;
    final Sink sink;
    String lastPrefix;

    Walk(String prefix, String delimiter, String marker, Sink sink) {
      this.prefix = prefix;
      this.delimiter = delimiter;
      this.marker = marker;
      this.sink = sink;
    }

    private boolean afterMarker(String key) {
      return marker == null || Codec.compareKeys(key, marker) > 0;
    }

    /** The common prefix {@code key} rolls up into, or null. */
    private String rollUp(String key) {
      if (delimiter == null || !key.startsWith(prefix)) {
        return null;
      }
      int i = key.indexOf(delimiter, prefix.length());
      return i < 0 ? null : key.substring(0, i + delimiter.length());
    }

    private boolean emitPrefix(String cp) {
      if (cp.equals(lastPrefix) || !afterMarker(cp)) {
        return true;
      }
      lastPrefix = cp;
      return sink.commonPrefix(cp);
    }

    private boolean emitKey(ObjectInfo info) {
      String key = info.key();
      if (!key.startsWith(prefix)) {
        return true;
      }
      String cp = rollUp(key);
      if (cp != null) {
        return emitPrefix(cp);
      }
      return !afterMarker(key) || sink.object(info);
    }

    /**
     * A file's entry: nothing is read from the disk for one the page does not show (before the
     * marker, outside the prefix, or rolled up into a common prefix).
     */
    private boolean emitFile(String key, Path p) {
      if (!key.startsWith(prefix)) {
        return true;
      }
      String cp = rollUp(key);
      if (cp != null) {
        return emitPrefix(cp);
      }
      if (!afterMarker(key)) {
        return true;
      }
      BasicFileAttributes a = attrs(p);
      return a == null || !a.isRegularFile() || sink.object(fileInfo(key, p, a));
    }

    /** Returns false when the sink asked to stop. */
    boolean dir(Path d, String dirKey) {
      for (DirectoryNames.Name e : names.of(d)) {
        String key = dirKey + e.sortName();
        if (!e.directory()) {
          if (!emitFile(key, e.path())) {
            return false;
          }
          continue;
        }
        if (!key.startsWith(prefix) && !prefix.startsWith(key)) {
          continue;
        }
        String cp = rollUp(key);
        if (cp != null) {
          // every key below starts with this directory's key, so all of them share cp
          if (!emitPrefix(cp)) {
            return false;
          }
          continue;
        }
        if (marker != null && Codec.compareKeys(key, marker) < 0 && !marker.startsWith(key)) {
          continue; // the whole subtree sorts before the marker
        }
        BasicFileAttributes a = attrs(e.path());
        if (a == null || !a.isDirectory()) {
          continue; // removed or replaced since it was listed
        }
        boolean empty = names.of(e.path()).isEmpty();
        boolean isMarker = empty || hasExplicitMarker(stripSlash(key));
        if (isMarker && !emitKey(markerInfo(key, a))) {
          return false;
        }
        if (!empty && !dir(e.path(), key)) {
          return false;
        }
      }
      return true;
    }
  }

  // ---- writes (test setup) ----

  /**
   * Stores {@code body} under {@code key}; returns the new object and the MD5 of what was written.
   */
  PutResult put(String key, InputStream body) throws IOException {
    boolean marker = key.endsWith("/");
    Path target = resolve(dir, marker ? stripSlash(key) : key);
    if (target == null) {
      throw OssError.badRequest(
          "InvalidObjectName",
          "local-oss cannot store the object name '"
              + key
              + "' as a file (empty, '.' or '..' path segment).");
    }
    try {
      Files.createDirectories(target.getParent());
    } catch (FileAlreadyExistsException e) {
      throw conflict(key);
    }
    if (marker) {
      long n = body.transferTo(OutputStream.nullOutputStream());
      if (n != 0) {
        throw OssError.badRequest(
            "InvalidArgument", "A directory marker ('" + key + "') must be empty.");
      }
      try {
        Files.createDirectories(target);
        Path m = markerFlag(stripSlash(key));
        Files.createDirectories(m.getParent());
        if (!Files.exists(m)) {
          Files.createFile(m);
        }
      } catch (FileAlreadyExistsException e) {
        throw conflict(key);
      }
      return new PutResult(stat(key), ETags.EMPTY_MD5);
    }
    if (Files.isDirectory(target)) {
      throw conflict(key);
    }
    Files.createDirectories(tmpDir);
    Path tmp = tmpDir.resolve("put-" + UUID.randomUUID());
    MessageDigest md = ETags.newMd5();
    try {
      try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), md)) {
        body.transferTo(out);
      }
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    return new PutResult(stat(key), Codec.hexUpper(md.digest()));
  }

  record PutResult(ObjectInfo info, String md5Hex) {}

  private static OssError conflict(String key) {
    return new OssError(
        409,
        "FileAlreadyExists",
        "local-oss cannot store '"
            + key
            + "': a file and a directory of that name would collide on disk.");
  }

  /** Deletes {@code key} if present (OSS answers 204 either way); prunes directories left empty. */
  void delete(String key) throws IOException {
    boolean marker = key.endsWith("/");
    String k = stripSlash(key);
    Path target = resolve(dir, k);
    if (target == null) {
      return;
    }
    if (marker) {
      Path m = markerFlag(k);
      if (m != null && Files.deleteIfExists(m)) {
        deleteEmptyChain(m.getParent(), markerDir);
      }
      if (Files.isDirectory(target) && isEmptyDir(target)) {
        Files.deleteIfExists(target);
        pruneParents(target.getParent());
      }
      return;
    }
    if (Files.isRegularFile(target)) {
      Files.deleteIfExists(target);
      pruneParents(target.getParent());
    }
  }

  /** An implicit directory vanishes with its last object, as a prefix does in OSS. */
  private void pruneParents(Path d) {
    while (d != null && !d.equals(dir) && d.startsWith(dir)) {
      String rel = dir.relativize(d).toString().replace('\\', '/');
      if (hasExplicitMarker(rel) || !isEmptyDir(d)) {
        return;
      }
      try {
        Files.delete(d);
      } catch (DirectoryNotEmptyException e) {
        return;
      } catch (IOException e) {
        return;
      }
      d = d.getParent();
    }
  }

  private static void deleteEmptyChain(Path m, Path stop) {
    Path d = m;
    while (d != null && !d.equals(stop) && d.startsWith(stop)) {
      try {
        Files.delete(d);
      } catch (IOException e) {
        return;
      }
      d = d.getParent();
    }
  }

  Path dir() {
    return dir;
  }
}
