package io.ossfuse.localoss;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Deterministic sample data for the demo and tests. Layout under the bucket directory:
 *
 * <pre>
 * README.txt
 * big/large.bin                  (largeFileBytes, content = {@link #byteAt(long)})
 * small/file-0000.bin ...        (smallFiles files, 0 .. ~64 KiB, file-0000 is empty)
 * nested/a/b/c/deep.txt
 * nested/a/sibling.txt
 * empty-dir/                     (an empty directory = a "empty-dir/" marker object)
 * weird/with space.txt, weird/ünïcødé 文件.txt, weird/100% sure.txt, weird/a+b=c.txt, weird/emoji-😀.txt
 * </pre>
 *
 * Same arguments, same bytes: tests may compare sha256 against {@link #sha256Hex(Path)} of the
 * source.
 */
public final class SampleDataset {
  public static final long DEFAULT_LARGE_FILE_BYTES = 64L << 20;
  public static final int DEFAULT_SMALL_FILES = 200;
  public static final String LARGE_FILE_KEY = "big/large.bin";
  public static final String EMPTY_DIR_KEY = "empty-dir/";
  public static final List<String> WEIRD_KEYS =
      List.of(
          "weird/with space.txt",
          "weird/ünïcødé 文件.txt",
          "weird/100% sure.txt",
          "weird/a+b=c.txt",
          "weird/emoji-😀.txt");

  private final Path bucketDir;
  private final List<String> fileKeys;
  private final long largeFileBytes;

  private SampleDataset(Path bucketDir, List<String> fileKeys, long largeFileBytes) {
    this.bucketDir = bucketDir;
    this.fileKeys = fileKeys;
    this.largeFileBytes = largeFileBytes;
  }

  /** {@link #generate(Path, long, int)} with 64 MiB and 200 small files. */
  public static SampleDataset generate(Path bucketDir) throws IOException {
    return generate(bucketDir, DEFAULT_LARGE_FILE_BYTES, DEFAULT_SMALL_FILES);
  }

  /** Writes (or overwrites) the sample tree under {@code bucketDir}. */
  public static SampleDataset generate(Path bucketDir, long largeFileBytes, int smallFiles)
      throws IOException {
    if (largeFileBytes < 0) {
      throw new IllegalArgumentException("largeFileBytes must be >= 0, was " + largeFileBytes);
    }
    if (smallFiles < 0 || smallFiles > 100_000) {
      throw new IllegalArgumentException("smallFiles must be 0..100000, was " + smallFiles);
    }
    List<String> keys = new ArrayList<>();
    Files.createDirectories(bucketDir);
    text(
        bucketDir,
        "README.txt",
        "ossfuse sample data: nested dirs, a large file, many small files, odd names.\n",
        keys);
    writeLarge(bucketDir.resolve("big"), largeFileBytes);
    keys.add(LARGE_FILE_KEY);
    Path small = Files.createDirectories(bucketDir.resolve("small"));
    for (int i = 0; i < smallFiles; i++) {
      String name = String.format("file-%04d.bin", i);
      int size = i == 0 ? 0 : (int) (mix(i * 7919L) % (64 * 1024)) + 1;
      byte[] data = new byte[size];
      for (int j = 0; j < size; j++) {
        data[j] = (byte) mix((long) i << 32 | j);
      }
      Files.write(small.resolve(name), data);
      keys.add("small/" + name);
    }
    text(bucketDir, "nested/a/b/c/deep.txt", "deep\n", keys);
    text(bucketDir, "nested/a/sibling.txt", "sibling\n", keys);
    Path empty = bucketDir.resolve("empty-dir");
    Files.createDirectories(empty);
    try (var s = Files.list(empty)) {
      for (Path p : s.toList()) {
        throw new IOException("empty-dir must stay empty but holds " + p);
      }
    }
    for (String k : WEIRD_KEYS) {
      text(bucketDir, k, "name: " + k + "\n", keys);
    }
    keys.sort(Codec::compareKeys);
    return new SampleDataset(bucketDir, Collections.unmodifiableList(keys), largeFileBytes);
  }

  private static void text(Path dir, String key, String content, List<String> keys)
      throws IOException {
    Path p = dir.resolve(key);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content, StandardCharsets.UTF_8);
    keys.add(key);
  }

  private static void writeLarge(Path dir, long size) throws IOException {
    Files.createDirectories(dir);
    Path p = dir.resolve("large.bin");
    ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch =
        FileChannel.open(
            p,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      long pos = 0;
      while (pos < size) {
        buf.clear();
        int n = (int) Math.min(buf.capacity(), size - pos);
        // 8-byte words so generation runs at memory speed; byteAt() reads the same words back
        for (int i = 0; i < n; i += 8) {
          long w = mix((pos + i) >>> 3);
          if (n - i >= 8) {
            buf.putLong(w);
          } else {
            for (int k = 0; k < n - i; k++) {
              buf.put((byte) (w >>> (8 * k)));
            }
          }
        }
        buf.flip();
        while (buf.hasRemaining()) {
          pos += ch.write(buf);
        }
      }
    }
  }

  /**
   * The byte at {@code offset} of {@link #LARGE_FILE_KEY}, so range tests need not read the file.
   */
  public static byte byteAt(long offset) {
    return (byte) (mix(offset >>> 3) >>> (8 * (offset & 7)));
  }

  /**
   * SplitMix64 finaliser: cheap, deterministic, and every offset gets a different-looking value.
   */
  private static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return (z ^ (z >>> 31)) & Long.MAX_VALUE;
  }

  public Path bucketDir() {
    return bucketDir;
  }

  /** Keys of all regular files, in OSS list order (without the {@link #EMPTY_DIR_KEY} marker). */
  public List<String> fileKeys() {
    return fileKeys;
  }

  public long largeFileBytes() {
    return largeFileBytes;
  }

  /** Lower-case hex sha256 of a file, for comparing what a client read against the source. */
  public static String sha256Hex(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return sha256Hex(in);
    }
  }

  /** Lower-case hex sha256 of a stream (read to the end, not closed). */
  public static String sha256Hex(InputStream in) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buf = new byte[1 << 16];
    for (int n; (n = in.read(buf)) > 0; ) {
      md.update(buf, 0, n);
    }
    return Codec.hexLower(md.digest());
  }

  @Override
  public String toString() {
    return "SampleDataset["
        + bucketDir
        + ", "
        + fileKeys.size()
        + " files, large="
        + largeFileBytes
        + " bytes]";
  }
}
