package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fs.BackingFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The open bookkeeping and its log across child generations, against a fake kernel id table. */
class PassthroughOpensTest {
  static final int USUAL = Wire.FOPEN_NOFLUSH | Wire.FOPEN_KEEP_CACHE;

  @TempDir Path dir;

  /** The connection's id table: what a real kernel would hold. */
  static final class FakeIds implements BackingIds {
    final Set<Integer> live = new TreeSet<>();
    int next = 1;

    @Override
    public int open(Path file) {
      live.add(next);
      return next++;
    }

    @Override
    public int close(int id) {
      return live.remove(id) ? 0 : io.ossfuse.fs.Errno.ENOENT.code;
    }
  }

  final AtomicInteger releasedOffers = new AtomicInteger();

  BackingFile offer(String version) {
    return new BackingFile() {
      @Override
      public Path path() {
        return Path.of("/dev/shm/x-" + version);
      }

      @Override
      public String version() {
        return version;
      }

      @Override
      public void release() {
        releasedOffers.incrementAndGet();
      }
    };
  }

  SessionState state() {
    return new SessionState(dir, "s1");
  }

  @Test
  void passthroughThenSameVersionSharesTheIdAndANewVersionGoesDirect() throws IOException {
    FakeIds k = new FakeIds();
    PassthroughOpens p = PassthroughOpens.open(state(), k);
    PassthroughOpens.Decision a = p.open(1, 2, 100, USUAL, offer("v1"));
    assertEquals(Wire.FOPEN_PASSTHROUGH | Wire.FOPEN_NOFLUSH, a.openFlags());
    assertEquals(1, a.backingId());
    PassthroughOpens.Decision b = p.open(2, 2, 101, USUAL, offer("v1"));
    assertEquals(a, b, "the same id: the kernel allows one backing file per inode");
    PassthroughOpens.Decision c = p.open(3, 2, 102, USUAL, offer("v2"));
    assertEquals(
        Wire.FOPEN_PASSTHROUGH | Wire.FOPEN_NOFLUSH | Wire.FOPEN_DIRECT_IO,
        c.openFlags(),
        "another version: reads come to us");
    assertEquals(1, c.backingId());
    PassthroughOpens.Decision d = p.open(4, 2, 103, USUAL, null);
    assertEquals(1, d.backingId(), "not cached whole: still the bound id, direct I/O");
    for (long fh = 100; fh <= 103; fh++) {
      p.release(2, fh);
    }
    assertEquals(Set.of(), k.live, "released with the last open");
    assertEquals(3, releasedOffers.get(), "every offer released");
  }

  @Test
  void aCachedOpenKeepsTheUsualPath() throws IOException {
    FakeIds k = new FakeIds();
    PassthroughOpens p = PassthroughOpens.open(state(), k);
    assertEquals(new PassthroughOpens.Decision(USUAL, 0), p.open(1, 2, 100, USUAL, null));
    assertEquals(
        new PassthroughOpens.Decision(USUAL, 0),
        p.open(2, 2, 101, USUAL, offer("v1")),
        "the kernel refuses passthrough while the page cache is in use");
    p.release(2, 100);
    p.release(2, 101);
    assertEquals(1, p.open(3, 2, 102, USUAL, offer("v1")).backingId());
  }

  @Test
  void aSuccessorKnowsTheIdsAndOpensAndReleasesWhatNobodyUses() throws IOException {
    FakeIds k = new FakeIds();
    PassthroughOpens first = PassthroughOpens.open(state(), k);
    first.open(1, 2, 100, USUAL, offer("v1"));
    first.open(2, 3, 200, USUAL, offer("v9"));
    first.open(3, 4, 300, USUAL, null);
    first.release(3, 200);
    // killed here: no close
    PassthroughOpens second = PassthroughOpens.open(state(), k);
    assertEquals(Set.of(1), k.live);
    assertArrayEquals(new int[] {1, 0, 1}, second.counts().get(2L));
    assertArrayEquals(new int[] {0, 1, 0}, second.counts().get(4L));
    assertEquals(
        new PassthroughOpens.Decision(USUAL, 0),
        second.open(4, 4, 301, USUAL, offer("v4")),
        "the predecessor's cached open still counts");
    assertEquals(1, second.open(5, 2, 101, USUAL, offer("v1")).backingId(), "the predecessor's id");
    second.release(2, 100);
    assertEquals(Set.of(1), k.live);
    second.release(2, 101);
    assertEquals(Set.of(), k.live);
  }

  @Test
  void anOpenWhoseReplyNeverArrivedIsForgottenWhenReSent() throws IOException {
    FakeIds k = new FakeIds();
    PassthroughOpens first = PassthroughOpens.open(state(), k);
    first.open(77, 2, 100, USUAL, offer("v1"));
    PassthroughOpens second = PassthroughOpens.open(state(), k);
    int id = second.open(77 | Wire.UNIQUE_RESEND, 2, 500, USUAL, offer("v1")).backingId();
    assertEquals(Set.of(id), k.live, "the unused id went with the forgotten open");
    second.release(2, 500);
    assertEquals(Set.of(), k.live, "the first answer was never counted by the kernel");
  }

  @Test
  void aRegistrationKilledBeforeItWasLoggedIsReleased() throws IOException {
    FakeIds k = new FakeIds();
    PassthroughOpens first = PassthroughOpens.open(state(), k);
    first.open(1, 2, 100, USUAL, offer("v1"));
    first.release(2, 100);
    // simulate: P logged, ioctl done, killed before B
    Files.writeString(
        dir.resolve(PassthroughOpens.FILE), "P 9\n", java.nio.file.StandardOpenOption.APPEND);
    k.open(Path.of("/x"));
    assertEquals(Set.of(2), k.live);
    PassthroughOpens.open(state(), k);
    assertEquals(Set.of(), k.live);
  }

  @Test
  void noIdLeaksOverAHundredGenerations() throws IOException {
    FakeIds k = new FakeIds();
    long unique = 1;
    long fh = 1;
    for (int gen = 0; gen < 100; gen++) {
      PassthroughOpens p = PassthroughOpens.open(state(), k);
      // a long reader stays open across every generation; short ones come and go
      if (gen == 0) {
        p.open(unique++, 2, 0, USUAL, offer("long"));
      }
      long node = 10 + gen % 7;
      long a = fh++;
      p.open(unique++, node, a, USUAL, offer("v" + node));
      p.open(
          unique++,
          node,
          fh++,
          USUAL,
          offer("v" + node)); // left open: released by a later generation
      p.release(node, a);
      if (gen > 0) {
        long prevNode = 10 + (gen - 1) % 7;
        p.release(prevNode, fh - 3);
      }
      p.close();
    }
    PassthroughOpens last = PassthroughOpens.open(state(), k);
    assertEquals(
        2, k.live.size(), "the long reader's id and the last generation's open: " + k.live);
    last.release(2, 0);
    last.release(10 + 99 % 7, fh - 1);
    assertEquals(Set.of(), k.live);
    assertTrue(
        Files.size(dir.resolve(PassthroughOpens.FILE)) < 1000, "the log is compacted at takeover");
  }
}
