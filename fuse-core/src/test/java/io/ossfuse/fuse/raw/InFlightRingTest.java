package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InFlightRingTest {
  @TempDir Path dir;

  private Path file() {
    return dir.resolve(InFlightRing.FILE);
  }

  @Test
  void onlyTheUnfinishedRequestIsInFlightAfterTheRingWrapped() throws Exception {
    InFlightRing ring = InFlightRing.create(file(), 2, 7);
    InFlightRing.Slot s = ring.slot(1);
    for (int i = 0; i < InFlightRing.ENTRIES * 5 + 1; i++) {
      s.begin(100 + i, Wire.READ, 9, i * 4096L, 4096, i);
      s.end();
    }
    s.begin(42, Wire.READ, 9, 1 << 20, 131072, 99); // the worker died here
    List<RequestId> in = InFlightRing.read(file(), 7).inFlight();
    assertEquals(List.of(new RequestId(42, Wire.READ, 9, 1 << 20, 131072)), in);
    assertEquals(
        List.of(), InFlightRing.read(file(), 6).inFlight(), "another generation's entries");
    s.end();
    assertEquals(List.of(), InFlightRing.read(file(), 7).inFlight());
  }

  @Test
  void concurrentWorkersEachLeaveTheirOwnRequestInFlight() throws Exception {
    int workers = 8;
    InFlightRing ring = InFlightRing.create(file(), workers, 3);
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      InFlightRing.Slot s = ring.slot(w);
      long base = (w + 1L) << 32;
      Thread t =
          new Thread(
              () -> {
                try {
                  go.await();
                  for (int i = 0; i < 20_000; i++) {
                    s.begin(base + i, Wire.GETATTR, base, 0, 0, i);
                    s.end();
                  }
                  s.begin(base - 1, Wire.READ, base, 0, 4096, 0);
                } catch (Throwable e) {
                  failed.set(e);
                }
              });
      t.start();
      threads.add(t);
    }
    go.countDown();
    // A reader meanwhile (what a successor does) sees at most one request per worker, each whole.
    for (int i = 0; i < 50; i++) {
      List<RequestId> now = InFlightRing.read(file(), 3).inFlight();
      assertTrue(now.size() <= workers, now.toString());
      for (RequestId id : now) {
        assertEquals(id.node() >>> 32, (id.key() + 1) >>> 32, "fields of one request: " + id);
      }
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(null, failed.get());
    Set<Long> keys =
        InFlightRing.read(file(), 3).inFlight().stream()
            .map(RequestId::key)
            .collect(Collectors.toSet());
    Set<Long> expected = new HashSet<>();
    for (int w = 0; w < workers; w++) {
      expected.add(((w + 1L) << 32) - 1);
    }
    assertEquals(expected, keys);
  }

  @Test
  void aGarbageOrTruncatedFileIsRefusedAndAMissingOneIsEmpty() throws Exception {
    assertEquals(List.of(), InFlightRing.read(file(), 1).inFlight());
    byte[] junk = new byte[InFlightRing.fileSize(8)];
    new Random(1).nextBytes(junk);
    Files.write(file(), junk);
    assertThrows(IOException.class, () -> InFlightRing.read(file(), 1));
    Files.write(file(), new byte[0]);
    assertThrows(IOException.class, () -> InFlightRing.read(file(), 1));

    InFlightRing ring = InFlightRing.create(file(), 8, 1);
    ring.slot(0).begin(5, Wire.READ, 2, 0, 4096, 1);
    byte[] whole = Files.readAllBytes(file());
    Files.write(file(), java.util.Arrays.copyOf(whole, whole.length - 100));
    assertThrows(IOException.class, () -> InFlightRing.read(file(), 1), "truncated");
  }

  @Test
  void aTornOrScribbledEntryIsNotInFlight() throws Exception {
    InFlightRing ring = InFlightRing.create(file(), 1, 4);
    ring.slot(0).begin(5, Wire.READ, 2, 0, 4096, 1);
    assertEquals(1, InFlightRing.read(file(), 4).inFlight().size());
    // A field changed after the stamp (a torn write or garbage): the stamp no longer matches.
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file())).order(ByteOrder.LITTLE_ENDIAN);
    int entry = InFlightRing.fileSize(1) - InFlightRing.ENTRIES * 64;
    b.putLong(entry + 24, 8192);
    Files.write(file(), b.array());
    assertEquals(List.of(), InFlightRing.read(file(), 4).inFlight());
  }
}
