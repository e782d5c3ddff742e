package io.ossfuse.cache;

import static io.ossfuse.cache.TestBlocks.expected;
import static io.ossfuse.cache.TestBlocks.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The open-file cache: bounded, and a file leaving it is never closed under a read that uses it.
 */
class OpenFilesTest {
  static final int BS = 128 * 1024;

  @TempDir Path dir;

  private Entry blockFile(String object) throws IOException {
    BlockKey k = key(object, 0);
    ByteBuffer data = ByteBuffer.allocate(BS);
    for (int i = 0; i < BS; i++) data.put(i, expected(k, i));
    ByteBuffer header = BlockHeader.encode(k, data, 64 * 1024, BS);
    Path p = dir.resolve(object + ".blk");
    byte[] bytes = new byte[header.remaining() + BS];
    header.get(bytes, 0, header.remaining());
    data.get(0, bytes, bytes.length - BS, BS);
    Files.write(p, bytes);
    Store s = new Store(0, MediumType.MEM, dir, 1 << 30, 0.9, 0.8);
    return new Entry(BlockId.of(k, BS), s, p, bytes.length);
  }

  private static byte byteAt(OpenFiles.OpenFile f, int off) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(1);
    BlockHeader.readFully(f.channel, b, (long) f.header.headerLen + off);
    return b.get(0);
  }

  @Test
  void aFileEvictedByTheCapStaysOpenUntilItsReaderIsDone() throws IOException {
    OpenFiles files = new OpenFiles(1);
    Entry a = blockFile("obj-01"), b = blockFile("obj-02");
    OpenFiles.OpenFile inUse = files.open(a, key("obj-01", 0), BS, true);
    OpenFiles.OpenFile other =
        files.open(b, key("obj-02", 0), BS, true); // over the cap: a's file leaves
    assertEquals(Set.of(b), files.cached());
    assertNull(files.acquire(a));
    assertTrue(inUse.channel.isOpen(), "closed under the read using it");
    assertEquals(expected(key("obj-01", 0), 1000), byteAt(inUse, 1000));
    assertEquals(2, files.unclosed());
    inUse.release(); // the last reference: now it closes
    assertFalse(inUse.channel.isOpen());
    other.release(); // the cache still holds b's
    assertTrue(other.channel.isOpen());
    assertEquals(1, files.unclosed());
    files.closeAll();
    assertFalse(other.channel.isOpen());
    assertEquals(0, files.unclosed());
  }

  @Test
  void aDeletedBlockLosesItsFileAfterTheReadUsingIt() throws IOException {
    OpenFiles files = new OpenFiles(8);
    Entry a = blockFile("obj-01");
    OpenFiles.OpenFile f = files.open(a, key("obj-01", 0), BS, true);
    f.release();
    OpenFiles.OpenFile again = files.acquire(a);
    assertSame(f, again, "shared between reads");
    files.close(a); // the block is deleted while a read holds its file
    assertTrue(again.channel.isOpen());
    assertEquals(expected(key("obj-01", 0), 7), byteAt(again, 7));
    again.release();
    assertFalse(again.channel.isOpen());
    assertNull(files.acquire(a));
    assertEquals(0, files.unclosed());
  }

  @Test
  void anEntryMarkedDeletedIsNotSharedAndALateOpenIsNotCached() throws IOException {
    OpenFiles files = new OpenFiles(8);
    Entry a = blockFile("obj-01");
    OpenFiles.OpenFile first = files.open(a, key("obj-01", 0), BS, true);
    OpenFiles.OpenFile second = files.open(a, key("obj-01", 0), BS, true); // lost the race to share
    assertNotSame(first, second);
    second.release();
    assertFalse(second.channel.isOpen());
    first.release();
    assertTrue(first.channel.isOpen());
    a.deleted = true;
    files.close(a);
    OpenFiles.OpenFile late =
        files.open(a, key("obj-01", 0), BS, true); // opened after the delete mark
    assertEquals(Set.of(), files.cached());
    late.release();
    assertEquals(0, files.unclosed());
  }
}
