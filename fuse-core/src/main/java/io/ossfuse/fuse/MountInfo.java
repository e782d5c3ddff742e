package io.ossfuse.fuse;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A parsed snapshot of {@code /proc/self/mountinfo}: the kernel's word on what is mounted where.
 * Reading it never touches the mounted filesystems, so it is safe while a FUSE server hangs (a stat
 * of such a mountpoint would block). Mounts stack: the last line for a mount point is the one a
 * lookup there sees.
 */
public final class MountInfo {
  /**
   * One line, e.g. {@code 44 27 0:41 / /tmp/mnt rw,nosuid shared:7 - fuse.ossfuse src ro,...}.
   * {@code root}, {@code mountPoint} and {@code source} are unescaped ({@code \040} → space);
   * {@code optionalFields} are the tags between the options and {@code -} (peer groups such as
   * {@code shared:7}, {@code master:4}).
   */
  public record Entry(
      int mountId,
      int parentId,
      String device,
      String root,
      String mountPoint,
      String options,
      List<String> optionalFields,
      String fsType,
      String source) {
    public Entry {
      optionalFields = List.copyOf(optionalFields);
    }

    public boolean isFuse() {
      return fsType.equals("fuse") || fsType.startsWith("fuse.");
    }

    /**
     * The minor device number of st_dev; for FUSE it names the connection in
     * /sys/fs/fuse/connections.
     */
    public int minor() {
      return Integer.parseInt(device.substring(device.indexOf(':') + 1));
    }
  }

  public static final Path PROC_MOUNTINFO = Path.of("/proc/self/mountinfo");

  private final List<Entry> entries;

  private MountInfo(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** The current mounts of this process's mount namespace. */
  public static MountInfo read() throws IOException {
    // Bytes, not readAllLines: a mount point that is not valid UTF-8 must not make the whole read
    // fail.
    String text = new String(Files.readAllBytes(PROC_MOUNTINFO), StandardCharsets.UTF_8);
    return parse(text.lines().toList());
  }

  /** Parses mountinfo lines; lines that are not mountinfo are skipped. */
  public static MountInfo parse(List<String> lines) {
    List<Entry> out = new ArrayList<>(lines.size());
    for (String line : lines) {
      Entry e = parseLine(line);
      if (e != null) out.add(e);
    }
    return new MountInfo(out);
  }

  private static Entry parseLine(String line) {
    String[] f = line.split(" ");
    int sep = -1;
    for (int i = 6; i < f.length; i++) {
      if (f[i].equals("-")) {
        sep = i;
        break;
      }
    }
    if (sep < 0 || sep + 2 >= f.length) return null;
    try {
      return new Entry(
          Integer.parseInt(f[0]),
          Integer.parseInt(f[1]),
          f[2],
          unescape(f[3]),
          unescape(f[4]),
          f[5],
          List.of(f).subList(6, sep),
          f[sep + 1],
          unescape(f[sep + 2]));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The topmost mount whose mount point is {@code path} (made absolute and normalized) - the
   * visible one.
   */
  public static Optional<Entry> find(Path path) throws IOException {
    return read().top(path);
  }

  public static boolean isMounted(Path path) throws IOException {
    return find(path).isPresent();
  }

  public List<Entry> entries() {
    return entries;
  }

  /** Every mount stacked on {@code path}, bottom first. */
  public List<Entry> at(Path path) {
    String p = key(path);
    return entries.stream().filter(e -> e.mountPoint().equals(p)).toList();
  }

  /** The mount visible at {@code path}: the last one mounted there. */
  public Optional<Entry> top(Path path) {
    List<Entry> stack = at(path);
    return stack.isEmpty() ? Optional.empty() : Optional.of(stack.get(stack.size() - 1));
  }

  /**
   * The device minor (FUSE connection id) of the last FUSE mount stacked on {@code path}, even if
   * covered.
   */
  public OptionalInt fuseMinor(Path path) {
    List<Entry> stack = at(path);
    for (int i = stack.size() - 1; i >= 0; i--) {
      if (stack.get(i).isFuse()) return OptionalInt.of(stack.get(i).minor());
    }
    return OptionalInt.empty();
  }

  private static String key(Path path) {
    return path.toAbsolutePath().normalize().toString();
  }

  /**
   * Mountinfo escapes space, tab, newline and backslash as octal ({@code \040}); a backslash not
   * followed by three octal digits is literal. Escapes are bytes, so the result is re-decoded as
   * UTF-8 ({@code \303\274} → ü), keeping characters that were not escaped.
   */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) return s;
    ByteArrayOutputStream b = new ByteArrayOutputStream(s.length());
    int plain = 0;
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '\\' && isOctal(s, i + 1)) {
        b.writeBytes(s.substring(plain, i).getBytes(StandardCharsets.UTF_8));
        b.write(Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
        plain = i + 1;
      }
    }
    b.writeBytes(s.substring(plain).getBytes(StandardCharsets.UTF_8));
    return b.toString(StandardCharsets.UTF_8);
  }

  private static boolean isOctal(String s, int at) {
    if (at + 3 > s.length()) return false;
    for (int i = at; i < at + 3; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '7') return false;
    }
    return true;
  }
}
