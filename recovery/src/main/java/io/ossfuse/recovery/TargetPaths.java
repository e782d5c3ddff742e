package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Checks bind targets against the allowed root without following symlinks: the daemon runs as root
 * and a bind onto a path that a symlink redirects (say into /etc) would shadow anything.
 *
 * <p>Rules: the target is absolute, has no {@code .} or {@code ..} segment, lies strictly under the
 * allowed root (itself resolved once to its real path), and no existing component below the root is
 * a symlink or a non-directory. Missing components are created one at a time (a CSI node plugin
 * creates the volume's {@code mount} directory; the kubelet creates only its parent), each checked
 * again after creation.
 */
final class TargetPaths {
  private final Path root;

  /** A missing root is not created (the kubelet owns it); binds are refused until it exists. */
  TargetPaths(Path allowedRoot) throws IOException {
    Path abs = allowedRoot.toAbsolutePath().normalize();
    this.root = Files.isDirectory(abs) ? abs.toRealPath() : abs;
  }

  Path root() {
    return root;
  }

  /** Validates {@code target}; returns it normalised. Does not touch the filesystem. */
  Path check(String target) throws TargetException {
    if (target == null || target.isEmpty()) throw new TargetException("bind target is missing");
    Path p = Path.of(target);
    if (!p.isAbsolute())
      throw new TargetException("bind target '" + target + "' must be an absolute path");
    for (Path seg : p) {
      String s = seg.toString();
      if (s.equals("..") || s.equals(".")) {
        throw new TargetException(
            "bind target '" + target + "' contains '" + s + "': give a plain path under " + root);
      }
    }
    Path n = p.normalize();
    if (!n.startsWith(root) || n.equals(root)) {
      throw new TargetException(
          "bind target "
              + n
              + " is outside the allowed root "
              + root
              + " (set --allowed-root to change it)");
    }
    return n;
  }

  /**
   * Checks every component below the root without following links, creating missing directories. A
   * path whose last component is a (possibly dead) mountpoint is fine: {@code isMountpoint} says
   * so.
   */
  Path prepare(String target, boolean isMountpoint) throws TargetException {
    Path n = check(target);
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw new TargetException(
          "the allowed root " + root + " does not exist: create it or pass --allowed-root");
    }
    Path cur = root;
    Path rel = root.relativize(n);
    for (int i = 0; i < rel.getNameCount(); i++) {
      cur = cur.resolve(rel.getName(i));
      boolean last = i == rel.getNameCount() - 1;
      if (last && isMountpoint) break;
      BasicFileAttributes a = lstat(cur);
      if (a == null) {
        try {
          Files.createDirectory(cur);
        } catch (java.nio.file.FileAlreadyExistsException raced) {
          // checked again just below
        } catch (IOException e) {
          throw new TargetException(
              "cannot create bind target directory " + cur + ": " + e.getMessage());
        }
        a = lstat(cur);
        if (a == null)
          throw new TargetException(
              "bind target directory " + cur + " vanished while being created");
      }
      if (a.isSymbolicLink()) {
        throw new TargetException(
            "bind target " + n + " goes through the symlink " + cur + ": refused");
      }
      if (!a.isDirectory()) {
        throw new TargetException("bind target " + n + ": " + cur + " is not a directory");
      }
    }
    return n;
  }

  /** Validates a subPath inside the mount: relative, plain segments only. */
  static String checkSubPath(String subPath) throws TargetException {
    if (subPath == null || subPath.isEmpty()) return "";
    Path p = Path.of(subPath);
    if (p.isAbsolute())
      throw new TargetException("subPath '" + subPath + "' must be relative to the mountpoint");
    for (Path seg : p) {
      String s = seg.toString();
      if (s.equals("..") || s.equals(".") || s.isEmpty()) {
        throw new TargetException("subPath '" + subPath + "' contains '" + s + "': refused");
      }
    }
    return p.normalize().toString();
  }

  private static BasicFileAttributes lstat(Path p) throws TargetException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new TargetException("cannot check bind target component " + p + ": " + e.getMessage());
    }
  }

  static final class TargetException extends Exception {
    TargetException(String message) {
      super(message);
    }
  }
}
