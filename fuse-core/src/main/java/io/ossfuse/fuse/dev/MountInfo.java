package io.ossfuse.fuse.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * Reads /proc/self/mountinfo without touching the FUSE filesystem itself (a stat of a mountpoint
 * whose server is gone would block). The FUSE connection id under /sys/fs/fuse/connections is the
 * minor device number of the mount's st_dev, the third mountinfo field ("0:NN").
 */
final class MountInfo {
    static final Path PROC_MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountInfo() {
    }

    /** The device minor of the last FUSE mount stacked on {@code mountpoint}, if any. */
    static OptionalInt fuseMinor(Path mountpoint) throws IOException {
        return fuseMinor(Files.readAllLines(PROC_MOUNTINFO), mountpoint.toString());
    }

    static OptionalInt fuseMinor(List<String> lines, String mountpoint) {
        OptionalInt found = OptionalInt.empty();
        for (String line : lines) {
            String[] f = line.split(" ");
            int sep = indexOf(f, "-");
            if (f.length < 7 || sep < 0 || sep + 1 >= f.length) {
                continue;
            }
            String fstype = f[sep + 1];
            if (!(fstype.equals("fuse") || fstype.startsWith("fuse."))) {
                continue;
            }
            if (!unescape(f[4]).equals(mountpoint)) {
                continue;
            }
            String dev = f[2];
            int colon = dev.indexOf(':');
            found = OptionalInt.of(Integer.parseInt(dev.substring(colon + 1)));
        }
        return found;
    }

    private static int indexOf(String[] f, String s) {
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals(s)) {
                return i;
            }
        }
        return -1;
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
