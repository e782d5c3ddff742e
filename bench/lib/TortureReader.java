import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.FileOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.SplittableRandom;

/**
 * The application under a crash loop: checks every byte it reads against content it computes itself
 * (GenData's generator, so no source copy is needed). Each operation opens, reads and closes one
 * file through the mount: a whole 64 KiB small file (buffered) or a random 4 KiB-aligned range of
 * 4 KiB..1 MiB of big.bin, read with O_DIRECT when the mount allows it so the bytes cross to the
 * FUSE child (and its MEM/SSD cache levels) instead of coming from the page cache.
 *
 * <p>Log, one line per operation (epoch micros, so the kill times of the bench script line up):
 * {@code start end OK}, {@code start end BAD <wrong bytes> <file>@<offset>+<length>} (short reads
 * count the missing bytes as wrong), {@code start end ERR:<errno>}; and {@code start - HUNG} once
 * for an operation still running after HUNG_SECS (it logs its own line when it ends). Stops when
 * STOP_FILE exists (a read stuck in the kernel is abandoned: the JVM halts).
 *
 * <p>Usage: java TortureReader.java MOUNT_DIR LOG STOP_FILE SEED N_SMALL BIG_BYTES PAUSE_MS [SOURCE_DIR]
 * (SOURCE_DIR: checked once at start against the computed content, to catch a changed GenData).
 */
public final class TortureReader {
    /** GenData.SEED: big.bin uses SEED, small/fNNNN.bin SEED + 1000 + N. */
    private static final long GEN_SEED = 0x05F5_FEEDL;
    /** SplittableRandom's default gamma: the n-th long of new SplittableRandom(s) is mix64(s + n * GAMMA). */
    private static final long GAMMA = 0x9e3779b97f4a7c15L;
    private static final int SMALL_BYTES = 64 << 10;
    private static final int MAX_RANGE = 1 << 20;
    private static final long HUNG_SECS = 30;

    private static volatile long opStart;   // micros of the running operation, 0 between operations

    public static void main(String[] args) throws Exception {
        Path mount = Path.of(args[0]);
        Path stop = Path.of(args[2]);
        SplittableRandom choices = new SplittableRandom(Long.parseLong(args[3]));
        int nSmall = Integer.parseInt(args[4]);
        long bigBytes = Long.parseLong(args[5]);
        long pauseMs = Long.parseLong(args[6]);
        selfCheck(args.length > 7 ? Path.of(args[7]) : null, nSmall);
        try (PrintStream log = new PrintStream(new FileOutputStream(args[1]), true)) {
            boolean direct = directWorks(mount.resolve("big.bin"));
            log.println("# ready " + micros() + (direct ? " direct" : " buffered (O_DIRECT refused by the mount)"));
            startWatchdog(log, stop);
            ByteBuffer directBuf = ByteBuffer.allocateDirect(MAX_RANGE + 4096).alignedSlice(4096);
            byte[] heapBuf = new byte[SMALL_BYTES + 1];
            while (!Files.exists(stop)) {
                long t0 = micros();
                opStart = t0;
                String status;
                if (choices.nextBoolean()) {
                    int i = choices.nextInt(nSmall);
                    status = readSmall(mount, i, heapBuf);
                } else {
                    long pages = bigBytes / 4096;
                    int len = 4096 * (1 + choices.nextInt(MAX_RANGE / 4096));
                    long off = 4096 * choices.nextLong(Math.max(1, pages - len / 4096 + 1));
                    status = readBig(mount.resolve("big.bin"), off, len, direct, directBuf);
                }
                opStart = 0;
                synchronized (log) {
                    log.println(t0 + " " + micros() + " " + status);
                }
                if (pauseMs > 0) Thread.sleep(pauseMs);
            }
        }
        Runtime.getRuntime().halt(0);
    }

    private static String readSmall(Path mount, int i, byte[] buf) {
        String name = String.format("small/f%04d.bin", i);
        try (InputStream in = Files.newInputStream(mount.resolve(name))) {
            int len = in.readNBytes(buf, 0, buf.length);
            long wrong = Math.abs((long) SMALL_BYTES - len);
            long seed = GEN_SEED + 1000 + i;
            for (int o = 0; o < Math.min(len, SMALL_BYTES); o++) if (buf[o] != expected(seed, o)) wrong++;
            return wrong == 0 ? "OK" : "BAD " + wrong + " " + name + "@0+" + SMALL_BYTES;
        } catch (IOException e) {
            return "ERR:" + reason(e);
        }
    }

    private static String readBig(Path file, long off, int len, boolean direct, ByteBuffer buf) {
        OpenOption[] opts = direct ? new OpenOption[] {StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT}
                : new OpenOption[] {StandardOpenOption.READ};
        try (FileChannel ch = FileChannel.open(file, opts)) {
            buf.clear().limit(len);
            while (buf.hasRemaining()) {
                if (ch.read(buf, off + buf.position()) < 0) break;
            }
            int got = buf.position();
            long wrong = len - got;
            for (int o = 0; o < got; o++) if (buf.get(o) != expected(GEN_SEED, off + o)) wrong++;
            return wrong == 0 ? "OK" : "BAD " + wrong + " big.bin@" + off + "+" + len;
        } catch (IOException e) {
            return "ERR:" + reason(e);
        }
    }

    /** Byte {@code offset} of a GenData file: its longs are written little-endian, one after another. */
    static byte expected(long seed, long offset) {
        long v = mix64(seed + (offset / 8 + 1) * GAMMA);
        return (byte) (v >>> (8 * (offset % 8)));
    }

    private static long mix64(long z) {   // SplittableRandom.mix64
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The computed content must be what GenData wrote, or every read would count as wrong. */
    private static void selfCheck(Path source, int nSmall) throws IOException {
        SplittableRandom r = new SplittableRandom(GEN_SEED + 1000);
        ByteBuffer b = ByteBuffer.allocate(SMALL_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) b.putLong(r.nextLong());
        for (int o = 0; o < SMALL_BYTES; o++) {
            if (b.get(o) != expected(GEN_SEED + 1000, o)) fail("the content formula does not match SplittableRandom");
        }
        if (source != null && nSmall > 0) {
            byte[] f = Files.readAllBytes(source.resolve("small/f0000.bin"));
            if (f.length != SMALL_BYTES || !java.util.Arrays.equals(f, b.array())) {
                fail(source + "/small/f0000.bin is not what GenData's generator makes; TortureReader must follow GenData");
            }
        }
    }

    private static boolean directWorks(Path big) {
        try (FileChannel ch = FileChannel.open(big, StandardOpenOption.READ, com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            ByteBuffer b = ByteBuffer.allocateDirect(8192).alignedSlice(4096);
            b.limit(4096);
            return ch.read(b, 0) == 4096;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Logs an operation stuck past HUNG_SECS once; halts the JVM when asked to stop while stuck. */
    private static void startWatchdog(PrintStream log, Path stop) {
        Thread t = new Thread(() -> {
            long reported = 0;
            while (true) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
                long s = opStart;
                if (s != 0 && s != reported && micros() - s > HUNG_SECS * 1_000_000L) {
                    synchronized (log) {
                        log.println(s + " - HUNG");
                    }
                    reported = s;
                }
                if (s != 0 && Files.exists(stop)) {
                    try {
                        Thread.sleep(2000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (opStart == s) Runtime.getRuntime().halt(3);
                }
            }
        }, "watchdog");
        t.setDaemon(true);
        t.start();
    }

    private static void fail(String why) {
        System.err.println("TortureReader: " + why);
        System.exit(2);
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
        if (m.contains("Invalid argument")) return "EINVAL";
        return m.replaceAll("[^A-Za-z]+", "_");
    }
}
