package io.ossfuse.recovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A parsed snapshot of {@code /proc/self/mountinfo}. */
final class MountInfo {
  /** One line: {@code 44 27 0:41 / /tmp/mnt rw,... - fuse src rw,...}. */
  record Entry(int id, int parent, String device, String root, String mountPoint, String fsType,
      String source) {
    boolean isFuse() {
      return fsType.equals("fuse") || fsType.startsWith("fuse.");
    }

    /** The minor device number, which names the FUSE connection in /sys/fs/fuse/connections. */
    int minor() {
      return Integer.parseInt(device.substring(device.indexOf(':') + 1));
    }
  }

  private static final Path PROC = Path.of("/proc/self/mountinfo");
  private final List<Entry> entries;

  MountInfo(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  static MountInfo read() {
    try {
      return parse(Files.readAllLines(PROC));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + PROC + ": " + e.getMessage(), e);
    }
  }

  static MountInfo parse(List<String> lines) {
    List<Entry> out = new ArrayList<>();
    for (String line : lines) {
      if (line.isBlank()) continue;
      String[] f = line.split(" ");
      int sep = -1;
      for (int i = 6; i < f.length; i++) {
        if (f[i].equals("-")) {
          sep = i;
          break;
        }
      }
      if (sep < 0 || sep + 2 >= f.length) continue;
      out.add(new Entry(Integer.parseInt(f[0]), Integer.parseInt(f[1]), f[2], unescape(f[3]),
          unescape(f[4]), f[sep + 1], unescape(f[sep + 2])));
    }
    return new MountInfo(out);
  }

  List<Entry> entries() {
    return entries;
  }

  /** The mount visible at {@code path}: the last one mounted there (mounts stack). */
  Optional<Entry> top(Path path) {
    String p = path.toString();
    Entry found = null;
    for (Entry e : entries) {
      if (e.mountPoint.equals(p)) found = e;
    }
    return Optional.ofNullable(found);
  }

  /** Mountinfo escapes space, tab, newline and backslash as octal ({@code \040}). */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) return s;
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && isOctal(s, i + 1)) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static boolean isOctal(String s, int from) {
    if (from + 3 > s.length()) return false;
    for (int i = from; i < from + 3; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '7') return false;
    }
    return true;
  }
}
