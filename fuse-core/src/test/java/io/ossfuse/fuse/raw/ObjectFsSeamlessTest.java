package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.localoss.SampleDataset;
import io.ossfuse.mount.MountOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The seamless proof over the real core: ObjectFileSystem + persisted inode table on the local OSS
 * endpoint (real HTTP, real SDK). Children are SIGKILLed under readers; node ids the kernel holds
 * must resolve to the same objects in the next generation, open files must keep reading.
 */
class ObjectFsSeamlessTest {
  static final String BUCKET = "seamless";

  @Test
  void readersOfOssObjectsNeverNoticeKilledChildren() throws Exception {
    Path work = Files.createTempDirectory("objfs-seamless");
    try (LocalOssServer server =
        LocalOssServer.builder().root(work.resolve("oss")).bucket(BUCKET).build().start()) {
      Path src = server.bucketDir(BUCKET);
      SampleDataset.generate(src, 64L << 20, 30);
      String largeSha = sha256(Files.readAllBytes(src.resolve(SampleDataset.LARGE_FILE_KEY)));
      long files;
      try (Stream<Path> s = Files.walk(src)) {
        files = s.filter(Files::isRegularFile).count();
      }
      Path state = Files.createDirectories(work.resolve("state"));
      MountOptions options =
          MountOptions.builder(
                  "oss://" + BUCKET, work.resolve("unused").toString(), server.endpoint())
              .stateDir(state.resolve("fs").toString())
              .build();
      Map<String, String> env = ObjectFsChild.env(options, server);
      try (ChildHarness h = new ChildHarness("objfs", env).mainClass(ObjectFsChild.class)) {
        h.spawn();
        assertTrue(h.probe(Duration.ofSeconds(60)), "first child serves:\n" + h.childLog());
        Path large = h.mnt.resolve(SampleDataset.LARGE_FILE_KEY);
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        List<long[]> spans = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        PreOpenedReader preOpened =
            PreOpenedReader.start(
                large, work.resolve("stop"), 64L << 20, failures, spans, SampleDataset::byteAt);
        List<Thread> readers =
            List.of(
                reader(
                    "buffered",
                    stop,
                    failures,
                    spans,
                    "set -o pipefail; dd if="
                        + large
                        + " iflag=nocache count=0 status=none && sha256sum "
                        + large,
                    largeSha),
                reader(
                    "o_direct",
                    stop,
                    failures,
                    spans,
                    "set -o pipefail; dd if="
                        + large
                        + " iflag=direct bs=1M status=none | sha256sum",
                    largeSha),
                reader(
                    "find-ls",
                    stop,
                    failures,
                    spans,
                    "set -o pipefail; find "
                        + h.mnt
                        + " -type f | wc -l && ls -lR "
                        + h.mnt
                        + " > /dev/null && echo ok",
                    files + "\nok"));
        readers.forEach(Thread::start);
        Random random = new Random();
        List<Long> stalls = new ArrayList<>();
        List<Long> kills = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          Thread.sleep(400 + random.nextInt(1000));
          long t0 = System.nanoTime();
          kills.add(System.currentTimeMillis());
          h.killCurrent();
          h.spawn();
          // A name never looked up: the LOOKUP must reach the new child (ENOENT is its answer).
          boolean answered = h.probe(Duration.ofSeconds(60));
          stalls.add((System.nanoTime() - t0) / 1_000_000);
          if (!answered) {
            failures.add("no answer after kill " + k);
          }
        }
        List<Long> standbyStalls = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
          io.ossfuse.fuse.dev.Standby standby =
              io.ossfuse.fuse.dev.Standby.prepare(h.stateDir, "standby-" + k);
          Process active = h.current();
          h.spawn(standby.environment());
          int n = k + 1;
          SeamlessTakeoverTest.waitFor(
              () -> SeamlessTakeoverTest.count(h.childLog(), "standing by on") == n,
              Duration.ofSeconds(60),
              "standby ready");
          Thread.sleep(200 + random.nextInt(500));
          long t0 = System.nanoTime();
          kills.add(System.currentTimeMillis());
          active.destroyForcibly();
          active.waitFor();
          assertTrue(standby.activate());
          boolean answered = h.probe(Duration.ofSeconds(60));
          standbyStalls.add((System.nanoTime() - t0) / 1_000_000);
          if (!answered) {
            failures.add("no answer after standby kill " + k);
          }
        }
        System.out.println("objfs standby stalls (ms): " + standbyStalls);
        Thread.sleep(500);
        stop.set(true);
        for (Thread t : readers) {
          t.join(120_000);
        }
        assertEquals(
            largeSha, preOpened.finish(Duration.ofSeconds(120)), "fd opened before the kills");
        Collections.sort(stalls);
        long spanning =
            spans.stream().filter(s -> kills.stream().anyMatch(k -> s[0] < k && k < s[1])).count();
        System.out.printf(
            "objfs seamless: 4 kills, stall p50=%d ms max=%d ms, %d reads, %d spanning a kill, %d failures%n",
            stalls.get(2), stalls.get(3), spans.size(), spanning, failures.size());
        assertTrue(
            failures.isEmpty(),
            "failures: " + failures + "\nchild log:\n" + SeamlessTakeoverTest.tail(h.childLog()));
        assertTrue(spanning > 0, "some reads were in flight during a kill");
      }
    } finally {
      ChildHarness.deleteTree(work);
    }
  }

  private static Thread reader(
      String name,
      AtomicBoolean stop,
      Queue<String> failures,
      List<long[]> spans,
      String script,
      String expected) {
    return new Thread(
        () -> {
          for (int i = 0; !stop.get(); i++) {
            long t0 = System.currentTimeMillis();
            try {
              Shell.Result r = Shell.sh(120_000, script);
              String out = r.out().strip();
              if (!r.ok()
                  || !r.err().isBlank()
                  || !(out.equals(expected) || out.split(" ")[0].equals(expected))) {
                failures.add(name + "#" + i + ": " + r);
              }
            } catch (Exception e) {
              failures.add(name + "#" + i + ": " + e);
            }
            spans.add(new long[] {t0, System.currentTimeMillis()});
          }
        },
        "reader-" + name);
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
