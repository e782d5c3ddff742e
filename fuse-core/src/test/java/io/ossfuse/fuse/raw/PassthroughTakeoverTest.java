package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fs.Errno;
import io.ossfuse.fuse.dev.LibC;
import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.SampleDataset;
import io.ossfuse.mount.MountOptions;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * FUSE passthrough over the real core (ObjectFileSystem, tiered MEM cache on /dev/shm, local OSS):
 * a file read whole is opened passthrough; a reader streaming it keeps reading while no child is
 * alive at all; files opened after the crash work; across takeovers no backing id leaks or dangles.
 */
class PassthroughTakeoverTest {
  static final String BUCKET = "passthrough";
  static final long SIZE = 32L << 20;

  @Test
  void aPassthroughReaderNeverStallsAndNoBackingIdLeaksOverTakeovers() throws Exception {
    withServingChild(
        "pttake",
        (server, h, env, shm, log) -> {
          Path large = h.mnt.resolve(SampleDataset.LARGE_FILE_KEY);
          awaitWholeFile(large, shm, log);

          AtomicLong reads = new AtomicLong();
          AtomicLong worstGapNanos = new AtomicLong();
          AtomicReference<String> failure = new AtomicReference<>();
          AtomicBoolean stop = new AtomicBoolean();
          RandomAccessFile streamed = new RandomAccessFile(large.toFile(), "r");
          assertTrue(
              Files.readString(log).lines().anyMatch(l -> l.startsWith("B ")),
              "opened passthrough:\n" + Files.readString(log));
          Thread reader =
              new Thread(() -> stream(streamed, reads, worstGapNanos, failure, stop), "pt-reader");
          reader.start();
          SeamlessTakeoverTest.waitFor(() -> reads.get() > 50, Duration.ofSeconds(30), "reads");

          List<Long> readsWhileDead = new ArrayList<>();
          for (int k = 0; k < 3; k++) {
            h.killCurrent();
            long atKill = reads.get();
            // no child at all now: the kernel reads the backing file itself
            SeamlessTakeoverTest.waitFor(
                () -> reads.get() > atKill + 100 || failure.get() != null,
                Duration.ofSeconds(20),
                "reads while no child is alive");
            readsWhileDead.add(reads.get() - atKill);
            h.spawn();
            assertTrue(
                h.probe(Duration.ofSeconds(60)),
                "child " + k + " serves:\n" + SeamlessTakeoverTest.tail(h.childLog()));
            // a second open of the inode while the first is passthrough: the id did not dangle
            checkSecondOpen(large, h, "after kill " + k + "; log:\n" + Files.readString(log));
          }
          stop.set(true);
          reader.join(30_000);
          streamed.close();
          assertEquals(null, failure.get(), "reader errors");
          long worstMs = worstGapNanos.get() / 1_000_000;
          System.out.printf(
              "passthrough reader: %d reads, longest gap %d ms, reads while no child lived %s%n",
              reads.get(), worstMs, readsWhileDead);
          // generous for a loaded machine: a reader served by a child would stop for a JVM start
          assertTrue(worstMs < 1000, "longest gap " + worstMs + " ms");

          // more generations, each leaving an open across the kill, each open closed later
          RandomAccessFile held = null;
          int generations = Integer.getInteger("ossfuse.test.passthroughGenerations", 6);
          for (int g = 0; g < generations; g++) {
            RandomAccessFile next;
            try {
              next = new RandomAccessFile(large.toFile(), "r");
              checkSample(next, 0);
            } catch (java.io.IOException e) {
              throw new AssertionError(
                  "open in generation "
                      + g
                      + ": "
                      + e
                      + "\nlog:\n"
                      + Files.readString(log)
                      + "\nchildren:\n"
                      + SeamlessTakeoverTest.tail(h.childLog()),
                  e);
            }
            if (held != null) {
              held.close();
            }
            held = next;
            h.killCurrent();
            h.spawn();
            assertTrue(h.probe(Duration.ofSeconds(60)), "generation " + g);
          }
          held.close();
          checkAll(large); // opened after the crashes: reads as today
          // the last RELEASE reaches the child: its log shows no registered id any more
          SeamlessTakeoverTest.waitFor(
              () -> liveIds(Files.readString(log)).isEmpty(),
              Duration.ofSeconds(30),
              "ids released");
          h.killCurrent();
          h.spawn();
          assertTrue(h.probe(Duration.ofSeconds(60)));
          // the kernel's view: no id is registered on the connection (BACKING_CLOSE says ENOENT for
          // each)
          for (int id = 1;
              id <= 64 + 4 * generations;
              id++) { // ids are allocated cyclically upwards
            int r =
                LibC.get().ioctl(h.device.fd(), LibC.FUSE_DEV_IOC_BACKING_CLOSE, new int[] {id});
            int e = r == 0 ? 0 : LibC.errno();
            assertEquals(Errno.ENOENT.code, e, "backing id " + id + " still registered (leak)");
          }
        });
  }

  /**
   * A child with passthrough off (another configuration, an older build) taking over a connection
   * whose inode is open passthrough: the kernel still demands the same backing id for every further
   * open of that inode (anything else is EIO), so the child answers with it and serves the reads.
   */
  @Test
  void aChildWithPassthroughOffStillOpensAFileTheKernelHoldsPassthrough() throws Exception {
    withServingChild(
        "ptoff",
        (server, h, env, shm, log) -> {
          Path large = h.mnt.resolve(SampleDataset.LARGE_FILE_KEY);
          awaitWholeFile(large, shm, log);
          try (RandomAccessFile held = new RandomAccessFile(large.toFile(), "r")) {
            assertEquals(
                1,
                liveOpens(Files.readString(log), "p"),
                "opened passthrough:\n" + Files.readString(log));
            h.killCurrent();
            h.spawn(
                Map.of(
                    ObjectFsChild.ENV_OPTIONS,
                    MountOptions.fromJson(env.get(ObjectFsChild.ENV_OPTIONS)).toBuilder()
                        .passthrough(false)
                        .build()
                        .toJson()));
            assertTrue(
                h.probe(Duration.ofSeconds(60)),
                "child with passthrough off serves:\n" + h.childLog());
            checkSecondOpen(large, h, "by a child with passthrough off");
            checkSample(held, 0);
          }
          // all closed: from now on the usual path
          SeamlessTakeoverTest.waitFor(
              () -> liveIds(Files.readString(log)).isEmpty(),
              Duration.ofSeconds(30),
              "ids released");
          checkAll(large);
          assertEquals(0, liveOpens(Files.readString(log), "p"), Files.readString(log));
        });
  }

  /**
   * An object of one cache block is served from its block and the kernel's page cache: it gets no
   * whole-object file and no passthrough open, however often it is read whole (docs/SEMANTICS.md,
   * "FUSE passthrough"); a bigger object read whole does, as the positive control.
   */
  @Test
  void aFileOfOneBlockGetsNoWholeFileAndIsNeverOpenedPassthrough() throws Exception {
    withServingChild(
        "ptsmall",
        (server, h, env, shm, log) -> {
          String key = "small/file-0001.bin";
          byte[] want = Files.readAllBytes(server.bucketDir(BUCKET).resolve(key));
          Path small = h.mnt.resolve(key);
          // read whole first: a whole file of it would be asked for before the large one's
          assertArrayEquals(want, Files.readAllBytes(small));
          Path large = h.mnt.resolve(SampleDataset.LARGE_FILE_KEY);
          awaitWholeFile(large, shm, log);
          long smallNode = (Long) Files.getAttribute(small, "unix:ino");
          long largeNode = (Long) Files.getAttribute(large, "unix:ino");
          try (RandomAccessFile held = new RandomAccessFile(large.toFile(), "r")) {
            assertTrue(
                opensOf(Files.readString(log), largeNode, "p") > 0,
                "the large file opened passthrough:\n" + Files.readString(log));
            for (int i = 0; i < 3; i++) {
              assertArrayEquals(want, Files.readAllBytes(small), "read " + i);
            }
          }
          String text = Files.readString(log);
          assertTrue(opensOf(text, smallNode, "o") >= 4, "small file opened:\n" + text);
          assertEquals(0, opensOf(text, smallNode, "p"), "no passthrough open:\n" + text);
          try (Stream<Path> s = Files.walk(shm)) {
            assertEquals(
                1,
                s.filter(p -> p.toString().endsWith(".obj")).count(),
                "whole files in the cache");
          }
        });
  }

  /** A test's part once a child serves the sample data and the kernel has FUSE passthrough. */
  private interface ServingChildTest {
    void run(LocalOssServer server, ChildHarness h, Map<String, String> env, Path shm, Path log)
        throws Exception;
  }

  /**
   * Serves the sample data (local OSS, tiered MEM cache on /dev/shm) through a child named {@code
   * name} and runs {@code test} with its passthrough log; skipped on a kernel without FUSE
   * passthrough; removes everything after, also when it fails.
   */
  private static void withServingChild(String name, ServingChildTest test) throws Exception {
    Path work = Files.createTempDirectory(name);
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), name);
    try (LocalOssServer server =
        LocalOssServer.builder().root(work.resolve("oss")).bucket(BUCKET).build().start()) {
      SampleDataset.generate(server.bucketDir(BUCKET), SIZE, 3);
      Map<String, String> env = childEnv(server, work, shm);
      try (ChildHarness h = new ChildHarness(name, env).mainClass(ObjectFsChild.class)) {
        h.spawn();
        assertTrue(h.probe(Duration.ofSeconds(60)), "first child serves:\n" + h.childLog());
        Path log = h.stateDir.resolve(PassthroughOpens.FILE);
        org.junit.jupiter.api.Assumptions.assumeTrue(
            Files.exists(log), "kernel without FUSE passthrough");
        test.run(server, h, env, shm, log);
      }
    } finally {
      ChildHarness.deleteTree(work);
      ChildHarness.deleteTree(shm);
    }
  }

  /**
   * A second open of {@code large}, while a first one is held, reads the right bytes; a failure
   * says {@code when} and the children's log.
   */
  private static void checkSecondOpen(Path large, ChildHarness h, String when) throws Exception {
    try (RandomAccessFile again = new RandomAccessFile(large.toFile(), "r")) {
      checkSample(again, SIZE - (1 << 20));
    } catch (java.io.IOException e) {
      throw new AssertionError(
          "second open "
              + when
              + ": "
              + e
              + "\nchildren:\n"
              + SeamlessTakeoverTest.tail(h.childLog()),
          e);
    }
  }

  /** OPENs of {@code node} of kind {@code p} (passthrough) or {@code o} the log records. */
  static int opensOf(String log, long node, String kind) {
    int n = 0;
    for (String l : log.split("\n")) {
      String[] f = l.split(" ");
      if (f[0].equals("O")
          && f.length > 4
          && f[3].equals(Long.toString(node))
          && f[4].equals(kind)) {
        n++;
      }
    }
    return n;
  }

  /**
   * Reads {@code large} whole, then waits until its whole-object file exists and no usual-path open
   * is left.
   */
  private static void awaitWholeFile(Path large, Path shm, Path log) throws Exception {
    checkAll(large); // through the cache: every block cached, then the whole file is built
    SeamlessTakeoverTest.waitFor(
        () -> {
          try (Stream<Path> s = Files.walk(shm)) {
            if (s.anyMatch(p -> p.toString().endsWith(".obj"))) {
              return true;
            }
          }
          // reading the end asks again: the last block may have been stored after the first ask
          try (RandomAccessFile tail = new RandomAccessFile(large.toFile(), "r")) {
            checkSample(tail, SIZE - (1 << 20));
          }
          return false;
        },
        Duration.ofSeconds(60),
        "the whole-object file");
    // the usual-path opens above are released (RELEASE comes in the background): the next open
    // of the inode can be passthrough
    SeamlessTakeoverTest.waitFor(
        () -> liveOpens(Files.readString(log), "o") == 0,
        Duration.ofSeconds(30),
        "usual-path opens released");
  }

  /** Opens of kind {@code p} (passthrough) or {@code o} (usual path) the log says are open. */
  static int liveOpens(String log, String kind) {
    java.util.Set<String> open = new java.util.HashSet<>();
    for (String l : log.split("\n")) {
      String[] f = l.split(" ");
      if (f[0].equals("O") && f.length > 4 && f[4].equals(kind)) {
        open.add(f[2]);
      } else if (f[0].equals("R") && f.length > 3 && f[3].equals(kind)) {
        open.remove(f[1]);
      }
    }
    return open.size();
  }

  static List<Integer> liveIds(String log) {
    List<Integer> live = new ArrayList<>();
    for (String l : log.split("\n")) {
      String[] f = l.split(" ");
      if (f[0].equals("B")) {
        live.add(Integer.parseInt(f[1]));
      } else if (f[0].equals("C")) {
        live.remove(Integer.valueOf(f[1]));
      }
    }
    return live;
  }

  private static void stream(
      RandomAccessFile f,
      AtomicLong reads,
      AtomicLong worst,
      AtomicReference<String> failure,
      AtomicBoolean stop) {
    byte[] buf = new byte[1 << 20];
    long pos = 0;
    long last = System.nanoTime();
    try {
      while (!stop.get()) {
        f.seek(pos);
        int n = f.read(buf);
        if (n <= 0) {
          pos = 0;
          continue;
        }
        for (int i = 0; i < n; i += 4093) {
          if (buf[i] != SampleDataset.byteAt(pos + i)) {
            failure.set("wrong byte at " + (pos + i));
            return;
          }
        }
        pos += n;
        reads.incrementAndGet();
        long now = System.nanoTime();
        worst.accumulateAndGet(now - last, Math::max);
        last = now;
      }
    } catch (Exception e) {
      failure.set(e.toString());
    }
  }

  private static void checkSample(RandomAccessFile f, long at) throws Exception {
    byte[] b = new byte[1 << 20];
    f.seek(at);
    f.readFully(b);
    for (int i = 0; i < b.length; i += 4093) {
      assertEquals(SampleDataset.byteAt(at + i), b[i], "byte " + (at + i));
    }
  }

  private static void checkAll(Path p) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
      for (long at = 0; at < SIZE; at += 1 << 20) {
        checkSample(f, at);
      }
    }
  }

  /**
   * A raw child's environment: this test's mount of the endpoint with a MEM level on {@code shm}.
   */
  private static Map<String, String> childEnv(LocalOssServer server, Path work, Path shm)
      throws IOException {
    Path yaml = work.resolve("tieredstore.yaml");
    Files.writeString(
        yaml,
        "levels:\n  - {mediumtype: MEM, path: \""
            + shm
            + "\", quota: 256Mi, high: \"0.95\", low: \"0.8\"}\n");
    MountOptions options =
        MountOptions.builder(
                "oss://" + BUCKET, work.resolve("unused").toString(), server.endpoint())
            .stateDir(work.resolve("fs").toString())
            .tieredstore(yaml.toString())
            .transport("raw")
            .build();
    return ObjectFsChild.env(options, server);
  }
}
