import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * Writes the benchmark data set with deterministic pseudo-random content (same bytes on every
 * machine and every run, incompressible so no layer can cheat with compression):
 * big.bin, sf.bin (single-flight object), small/f0000.bin.. (64 KiB each), dir10k/e00000.txt..
 *
 * Usage: java GenData.java DIR BIG_MIB SF_MIB N_SMALL N_DIR
 */
public final class GenData {
    private static final long SEED = 0x05F5_FEEDL;

    public static void main(String[] args) throws IOException {
        if (args.length != 5) {
            System.err.println("usage: GenData DIR BIG_MIB SF_MIB N_SMALL N_DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        long big = Long.parseLong(args[1]) << 20;
        long sf = Long.parseLong(args[2]) << 20;
        int nSmall = Integer.parseInt(args[3]);
        int nDir = Integer.parseInt(args[4]);
        Files.createDirectories(dir.resolve("small"));
        Files.createDirectories(dir.resolve("dir10k"));
        write(dir.resolve("big.bin"), big, SEED);
        write(dir.resolve("sf.bin"), sf, SEED + 1);
        for (int i = 0; i < nSmall; i++) {
            write(dir.resolve(String.format("small/f%04d.bin", i)), 64 << 10, SEED + 1000 + i);
        }
        for (int i = 0; i < nDir; i++) {
            write(dir.resolve(String.format("dir10k/e%05d.txt", i)), 128, SEED + 100_000 + i);
        }
    }

    private static final ByteBuffer BUF = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);

    private static void write(Path file, long size, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteBuffer buf = BUF;
        try (FileChannel ch = FileChannel.open(file, CREATE, WRITE, TRUNCATE_EXISTING)) {
            long left = size;
            while (left > 0) {
                buf.clear();
                int n = (int) Math.min(buf.capacity(), left);
                while (buf.position() + 8 <= n) buf.putLong(rnd.nextLong());
                while (buf.position() < n) buf.put((byte) rnd.nextInt());
                buf.flip();
                while (buf.hasRemaining()) ch.write(buf);
                left -= n;
            }
        }
    }
}
