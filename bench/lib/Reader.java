import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;

/**
 * The application under a crash: opens, reads and closes files through the mount in a loop and logs
 * every read as "startMicros endMicros OK|BAD|ERR:reason" (epoch micros, so the kill times logged by
 * the bench script line up). Content is compared with the source copy: wrong bytes count as errors.
 * Every open reaches the FUSE daemon (FUSE_OPEN), so a dead daemon cannot hide behind the page cache.
 * Stops when STOP_FILE exists.
 *
 * Usage: java Reader.java MOUNT_DIR SOURCE_DIR N_FILES PAUSE_MS LOG STOP_FILE
 */
public final class Reader {
    public static void main(String[] args) throws Exception {
        Path mount = Path.of(args[0]);
        Path source = Path.of(args[1]);
        int n = Integer.parseInt(args[2]);
        long pauseMs = Long.parseLong(args[3]);
        Path stop = Path.of(args[5]);
        byte[][] expected = new byte[n][];
        for (int i = 0; i < n; i++) expected[i] = Files.readAllBytes(source.resolve(name(i)));
        byte[] buf = new byte[expected[0].length + 1];
        try (PrintStream log = new PrintStream(new FileOutputStream(args[4]), true)) {
            log.println("# ready " + micros());
            for (long it = 0; !Files.exists(stop); it++) {
                int i = (int) (it % n);
                long t0 = micros();
                String status;
                try (InputStream in = Files.newInputStream(mount.resolve(name(i)))) {
                    int len = in.readNBytes(buf, 0, buf.length);
                    status = len == expected[i].length
                            && Arrays.equals(buf, 0, len, expected[i], 0, len) ? "OK" : "BAD";
                } catch (IOException e) {
                    status = "ERR:" + reason(e);
                }
                log.println(t0 + " " + micros() + " " + status);
                if (pauseMs > 0) Thread.sleep(pauseMs);
            }
        }
    }

    private static String name(int i) {
        return String.format("small/f%04d.bin", i);
    }

    private static long micros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "ENOENT";
        String m = e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                ? f.getReason() : String.valueOf(e.getMessage());
        if (m.contains("not connected")) return "ENOTCONN";
        if (m.contains("connection abort") || m.contains("aborted")) return "ECONNABORTED";
        if (m.contains("Interrupted")) return "EINTR";
        if (m.contains("Input/output")) return "EIO";
        if (m.contains("No such file")) return "ENOENT";
        if (m.contains("Stale file handle")) return "ESTALE";
        if (m.contains("No such device")) return "ENODEV";
        if (m.contains("Permission denied")) return "EACCES";
        return m.replaceAll("[^A-Za-z]+", "_");
    }
}
