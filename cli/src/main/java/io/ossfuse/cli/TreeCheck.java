package io.ossfuse.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Compares a mounted tree with the directory it was served from: same names in every directory,
 * same types, same sizes, same sha256 of every file. Used by {@code ossfuse demo --check} and
 * tests.
 */
public final class TreeCheck {
  /** What was compared, and every difference found (empty = identical). */
  public record Result(int files, int dirs, long bytes, List<String> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  private TreeCheck() {}

  public static Result compare(Path source, Path mount) throws IOException {
    List<String> problems = new ArrayList<>();
    int[] files = {0};
    int[] dirs = {0};
    long[] bytes = {0};
    walk(source, mount, "", problems, files, dirs, bytes);
    return new Result(files[0], dirs[0], bytes[0], problems);
  }

  private static void walk(
      Path src, Path mnt, String rel, List<String> problems, int[] files, int[] dirs, long[] bytes)
      throws IOException {
    dirs[0]++;
    Set<String> want = names(src);
    Set<String> got = names(mnt);
    if (!want.equals(got)) {
      Set<String> missing = new TreeSet<>(want);
      missing.removeAll(got);
      Set<String> extra = new TreeSet<>(got);
      extra.removeAll(want);
      problems.add("/" + rel + ": missing " + missing + ", unexpected " + extra);
    }
    for (String name : want) {
      if (!got.contains(name)) continue;
      Path s = src.resolve(name);
      Path m = mnt.resolve(name);
      String r = rel.isEmpty() ? name : rel + "/" + name;
      if (Files.isDirectory(s)) {
        if (!Files.isDirectory(m)) {
          problems.add("/" + r + ": expected a directory");
          continue;
        }
        walk(s, m, r, problems, files, dirs, bytes);
      } else {
        files[0]++;
        if (!Files.isRegularFile(m)) {
          problems.add("/" + r + ": expected a regular file");
          continue;
        }
        long size = Files.size(s);
        if (Files.size(m) != size)
          problems.add("/" + r + ": size " + Files.size(m) + ", expected " + size);
        String hs = sha256(s);
        String hm = sha256(m);
        if (!hs.equals(hm)) problems.add("/" + r + ": sha256 " + hm + ", expected " + hs);
        bytes[0] += size;
      }
    }
  }

  private static Set<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static final ThreadLocal<byte[]> BUF =
      ThreadLocal.withInitial(() -> new byte[256 * 1024]);

  public static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = BUF.get();
      int n;
      while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
