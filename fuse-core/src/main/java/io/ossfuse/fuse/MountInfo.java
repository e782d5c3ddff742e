package io.ossfuse.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads {@code /proc/self/mountinfo}: the kernel's word on what is mounted where. */
public final class MountInfo {
    /** One mount; {@code mountPoint} is unescaped ({@code \040} → space). */
    public record Entry(int mountId, int parentId, String device, String root, String mountPoint,
                        String options, String fsType, String source) {
        public boolean isFuse() {
            return fsType.equals("fuse") || fsType.startsWith("fuse.");
        }
    }

    private static final Path PROC = Path.of("/proc/self/mountinfo");

    private MountInfo() {
    }

    public static List<Entry> read() throws IOException {
        return parse(Files.readAllLines(PROC));
    }

    static List<Entry> parse(List<String> lines) {
        List<Entry> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (f.length < 10 || dash < 0 || dash + 2 >= f.length) continue;
            out.add(new Entry(Integer.parseInt(f[0]), Integer.parseInt(f[1]), f[2], unescape(f[3]), unescape(f[4]),
                    f[5], f[dash + 1], unescape(f[dash + 2])));
        }
        return out;
    }

    /** The topmost mount whose mount point is exactly {@code path} (absolute, normalized). */
    public static Optional<Entry> find(Path path) throws IOException {
        String p = path.toAbsolutePath().normalize().toString();
        Entry found = null;
        for (Entry e : read()) {
            if (e.mountPoint().equals(p)) found = e; // later lines are stacked on top
        }
        return Optional.ofNullable(found);
    }

    public static boolean isMounted(Path path) throws IOException {
        return find(path).isPresent();
    }

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
        // Octal escapes encode bytes; re-decode them as UTF-8 for non-ASCII names.
        return new String(b.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), java.nio.charset.StandardCharsets.UTF_8);
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
