import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * bench/run figure 14: one open file read sequentially in 1 MiB pieces, round and round, each piece
 * checked against the reference copy, until the STOP file exists. Prints one line:
 * "reads N failed F wrong W p50_ms P max_ms M gaps_over_100ms G" (a gap: time between the end of
 * one read and the end of the next). java StreamReader.java FILE REFERENCE STOP
 */
public class StreamReader {
  public static void main(String[] a) throws Exception {
    Path file = Path.of(a[0]), ref = Path.of(a[1]), stop = Path.of(a[2]);
    int piece = 1 << 20;
    long[] lat = new long[1 << 20];
    int n = 0, failed = 0, wrong = 0, gaps = 0;
    long maxGap = 0;
    ByteBuffer got = ByteBuffer.allocateDirect(piece), want = ByteBuffer.allocateDirect(piece);
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
        FileChannel r = FileChannel.open(ref, StandardOpenOption.READ)) {
      long size = r.size(), pos = 0, last = System.nanoTime();
      while (!Files.exists(stop) && n < lat.length) {
        got.clear();
        want.clear();
        long t0 = System.nanoTime();
        try {
          while (got.hasRemaining()) if (in.read(got, pos + got.position()) < 0) break;
        } catch (java.io.IOException e) {
          failed++;
          System.err.println("read at " + pos + ": " + e);
        }
        long t1 = System.nanoTime();
        lat[n++] = t1 - t0;
        long gap = t1 - last;
        last = t1;
        maxGap = Math.max(maxGap, gap);
        if (gap > 100_000_000L) gaps++;
        while (want.hasRemaining()) if (r.read(want, pos + want.position()) < 0) break;
        got.flip();
        want.flip();
        if (!got.equals(want)) wrong++;
        pos += piece;
        if (pos >= size) pos = 0;
      }
    }
    long[] s = Arrays.copyOf(lat, n);
    Arrays.sort(s);
    System.out.printf("reads %d failed %d wrong %d p50_ms %.2f max_ms %.1f gaps_over_100ms %d max_gap_ms %.1f%n", n, failed,
        wrong, n == 0 ? 0 : s[n / 2] / 1e6, n == 0 ? 0 : s[n - 1] / 1e6, gaps, maxGap / 1e6);
  }
}
