package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The access-pattern detector and the fetch plan it makes for each read. */
class ReadPatternTest {
  static final int MIB = 1 << 20;
  static final int BS = 4 * MIB;

  @Test
  void randomReadsAreServedAloneWithoutReadahead() {
    ReadPattern p = new ReadPattern(256L * MIB);
    long[] offs = {100L * MIB, 3L * MIB, 200L * MIB, 17L * MIB + 4096, 150L * MIB};
    for (long off : offs) {
      ReadPattern.Plan plan = p.onRead(off, off + 4096, BS, 8);
      assertFalse(plan.throughBlocks(), "at " + off);
      assertFalse(plan.readahead(), "at " + off);
    }
  }

  @Test
  void aWholeFileReaderFromOffsetZeroGoesThroughBlocksAndItsWindowDoubles() {
    ReadPattern p = new ReadPattern(256L * MIB);
    StringBuilder asked = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      long off = (long) i * MIB;
      ReadPattern.Plan plan = p.onRead(off, off + MIB, BS, 8);
      assertTrue(plan.throughBlocks(), "read " + i);
      asked
          .append(plan.readahead() ? plan.readaheadFrom() + "-" + plan.readaheadTo() : "-")
          .append(' ');
    }
    // nothing ahead for the first two reads, then 1, 2, 4, 8 blocks beyond the current one (block 1
    // from the fifth read on), asked for once each
    assertEquals("- - 1-1 2-2 3-5 6-9 - - ", asked.toString());
  }

  @Test
  void aSequentialRunAfterRandomReadsSwitchesToBlocksAtItsThirdRead() {
    ReadPattern p = new ReadPattern(256L * MIB);
    assertFalse(p.onRead(77L * MIB, 77L * MIB + 4096, BS, 8).throughBlocks());
    long off = 10L * MIB;
    assertFalse(p.onRead(off, off + 131072, BS, 8).throughBlocks(), "a run's first read");
    assertFalse(p.onRead(off + 131072, off + 262144, BS, 8).throughBlocks(), "its second");
    ReadPattern.Plan third = p.onRead(off + 262144, off + 393216, BS, 8);
    assertTrue(third.throughBlocks(), "its third");
    assertEquals(3, third.readaheadFrom(), "one block ahead of block 2");
    assertEquals(3, third.readaheadTo());
    // a jump far away ends the run: random again, the readahead state starts afresh
    ReadPattern.Plan jump = p.onRead(90L * MIB, 90L * MIB + 4096, BS, 8);
    assertFalse(jump.throughBlocks());
    assertFalse(jump.readahead());
  }

  @Test
  void slightlyOutOfOrderReadsStillCountAsSequential() {
    ReadPattern p = new ReadPattern(64L * MIB);
    p.onRead(0, 131072, BS, 8);
    p.onRead(262144, 393216, BS, 8); // the kernel's parallel readahead: 128 KiB skipped ...
    ReadPattern.Plan plan = p.onRead(131072, 262144, BS, 8); // ... and served next
    assertTrue(plan.throughBlocks());
    assertTrue(plan.readahead());
  }

  @Test
  void randomReadsThatHappenToLandCloseDoNotStartARun() {
    ReadPattern p = new ReadPattern(256L * MIB);
    // 4 KiB reads a few hundred KiB apart: neighbours by chance, not a sequential reader
    for (long off = 0; off < 64L * MIB; off += 320 * 1024) {
      assertFalse(p.onRead(off + 4096, off + 8192, BS, 8).throughBlocks(), "at " + off);
    }
  }

  @Test
  void aLateReadaheadRequestBehindTheRunDoesNotEndIt() {
    ReadPattern p = new ReadPattern(256L * MIB);
    for (long off = 0; off < 8L * MIB; off += MIB) p.onRead(off, off + MIB, BS, 8);
    // 1 MiB requests served by several threads: 10 MiB and 11 MiB arrive before 8 MiB and 9 MiB
    for (long off : new long[] {10L * MIB, 11L * MIB, 8L * MIB, 9L * MIB, 12L * MIB}) {
      assertTrue(p.onRead(off, off + MIB, BS, 8).throughBlocks(), "at " + off / MIB + " MiB");
    }
  }

  @Test
  void offsetZeroLaterInARandomReaderIsNotAWholeFileReader() {
    ReadPattern p = new ReadPattern(64L * MIB);
    p.onRead(30L * MIB, 30L * MIB + 4096, BS, 8);
    assertFalse(p.onRead(0, 4096, BS, 8).throughBlocks());
  }

  @Test
  void readaheadIsAskedInRunsOfHalfTheWindowAndStopsAtTheLastBlock() {
    ReadPattern p = new ReadPattern(6L * BS + 5);
    long asked = -1;
    for (long off = 0; off < 6L * BS + 5; off += MIB) {
      ReadPattern.Plan plan = p.onRead(off, Math.min(off + MIB, 6L * BS + 5), BS, 4);
      if (!plan.readahead()) continue;
      assertEquals(
          asked + 1 > 0 ? asked + 1 : plan.readaheadFrom(),
          plan.readaheadFrom(),
          "no gaps, no repeats");
      assertTrue(plan.readaheadTo() <= 6, "never past the last block");
      asked = plan.readaheadTo();
    }
    assertEquals(6, asked, "up to the last block");
  }

  @Test
  void noWindowMeansBlocksWithoutReadahead() {
    ReadPattern p = new ReadPattern(64L * MIB);
    for (long off = 0; off < 8 * MIB; off += MIB) {
      ReadPattern.Plan plan = p.onRead(off, off + MIB, BS, 0);
      assertTrue(plan.throughBlocks());
      assertFalse(plan.readahead());
    }
  }

  @Test
  void windowGrowthIsCapped() {
    assertEquals(0, ReadPattern.window(1, 8));
    assertEquals(1, ReadPattern.window(2, 8));
    assertEquals(8, ReadPattern.window(5, 8));
    assertEquals(8, ReadPattern.window(Integer.MAX_VALUE, 8));
    assertEquals(0, ReadPattern.window(10, 0));
  }
}
