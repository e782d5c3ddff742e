package io.ossfuse.mount;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fuse.MountInfo;
import io.ossfuse.localoss.LocalOssServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Many processes reading one cold object at once through a real raw mount with a MEM tieredstore
 * (bench figure 5): each byte of the object leaves the endpoint about once, whatever the kernel's
 * page cache makes each handle's reads look like. Counted by local-oss; no timing is asserted.
 */
class ConcurrentColdReadersMountTest {
  static final String BUCKET = "sftest";
  static final int MIB = 1 << 20;

  /** As the bench's: a smaller object gives the readers fewer chances to split its sweep. */
  static final int SIZE = 256 * MIB;

  static final int READERS = 32;

  Path work;
  Path mnt;
  LocalOssServer server;
  ServedMount mount;
  byte[] digest;

  @BeforeEach
  void mountIt() throws Exception {
    work = Files.createTempDirectory("ossfuse-sf-");
    server = LocalOssServer.builder().root(work.resolve("oss")).bucket(BUCKET).build().start();
    digest = writeObject(server.bucketDir(BUCKET).resolve("sf.bin"));
    Path creds = Files.createDirectories(work.resolve("creds"));
    Files.writeString(creds.resolve("fs.oss.accessKeyId"), server.accessKeyId());
    Files.writeString(creds.resolve("fs.oss.accessKeySecret"), server.accessKeySecret());
    // the MEM level on tmpfs where there is one, as the bench and production have it
    Path shm = Path.of("/dev/shm");
    Path cacheDir =
        Files.isDirectory(shm)
            ? Files.createTempDirectory(shm, "ossfuse-sf-cache-")
            : work.resolve("cache");
    Path yaml = work.resolve("tieredstore.yaml");
    Files.writeString(
        yaml,
        "tieredstore:\n  levels:\n    - mediumtype: MEM\n      path: "
            + cacheDir
            + "\n      quota: 512Mi\n      high: \"0.99\"\n      low: \"0.95\"\n");
    mnt = Files.createDirectories(work.resolve("mnt"));
    mount =
        ServedMount.start(
            MountOptions.builder("oss://" + BUCKET, mnt.toString(), server.endpoint())
                .credDir(creds.toString())
                .tieredstore(yaml.toString())
                .transport("raw")
                .build(),
            new MountFactory());
    cleanups.add(cacheDir);
  }

  final List<Path> cleanups = new ArrayList<>();

  @AfterEach
  void unmountIt() throws Exception {
    try {
      if (mount != null) mount.close();
    } finally {
      if (mnt != null && MountInfo.isMounted(mnt)) {
        new ProcessBuilder("fusermount", "-u", "-z", mnt.toString()).inheritIO().start().waitFor();
      }
      if (server != null) server.close();
      if (mnt == null || !MountInfo.isMounted(mnt)) {
        cleanups.add(work);
        for (Path p : cleanups) deleteTree(p);
      }
    }
  }

  @Test
  void readersOfOneColdObjectFetchItOnce() throws Exception {
    long before = server.counters().bytesSent("sf.bin");
    ExecutorService pool = Executors.newFixedThreadPool(READERS);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<byte[]>> readers = new ArrayList<>();
      for (int i = 0; i < READERS; i++) {
        readers.add(
            pool.submit(
                () -> {
                  // each its own open, as separate processes have (dd, cat)
                  try (InputStream in = Files.newInputStream(mnt.resolve("sf.bin"))) {
                    go.await();
                    MessageDigest d = MessageDigest.getInstance("SHA-256");
                    byte[] buf = new byte[MIB];
                    long total = 0;
                    for (int n; (n = in.read(buf)) > 0; total += n) d.update(buf, 0, n);
                    assertEquals(SIZE, total);
                    return d.digest();
                  }
                }));
      }
      go.countDown();
      for (Future<byte[]> r : readers) assertArrayEquals(digest, r.get(5, TimeUnit.MINUTES));
    } finally {
      pool.shutdownNow();
    }
    long sent = server.counters().bytesSent("sf.bin") - before;
    assertTrue(
        sent <= SIZE + SIZE / 20,
        "the endpoint sent "
            + sent
            + " bytes for a "
            + SIZE
            + "-byte object read by "
            + READERS
            + " readers ("
            + String.format("%.2f", (double) sent / SIZE)
            + "x)");
  }

  /** Writes SIZE random bytes, a MiB at a time; returns their SHA-256. */
  static byte[] writeObject(Path p) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    Random r = new Random(5);
    byte[] chunk = new byte[MIB];
    try (var out = Files.newOutputStream(p)) {
      for (int i = 0; i < SIZE / MIB; i++) {
        r.nextBytes(chunk);
        d.update(chunk);
        out.write(chunk);
      }
    }
    return d.digest();
  }

  static void deleteTree(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) return;
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }
}
