package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.store.MemoryObjectStore;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sequential readers get the next blocks fetched ahead; random readers do not. */
class ReadaheadTest {
    static final int MIB = 1 << 20;

    private static MemoryObjectStore storeWithBlob(byte[] blob) {
        return new MemoryObjectStore("b").put("blob", blob);
    }

    @Test
    void sequentialReadsPrefetchTheFollowingBlocks() throws Exception {
        byte[] blob = new byte[48 * MIB];
        new Random(1).nextBytes(blob);
        MemoryObjectStore store = storeWithBlob(blob);
        try (ObjectFileSystem fs = ObjectFileSystem.builder(store).options(FsOptions.defaults().withReadaheadBlocks(4)).build()) {
            long ino = fs.lookup(1, "blob").ino();
            long fh = fs.open(ino, 0);
            for (int off = 0; off < MIB; off += 128 * 1024) {
                ByteBuffer b = ByteBuffer.allocate(128 * 1024);
                assertEquals(b.capacity(), fs.read(ino, fh, off, b));
                assertEquals(ByteBuffer.wrap(blob, off, b.capacity()), b.flip());
            }
            long deadline = System.currentTimeMillis() + 10_000;
            while (store.readCalls() < 5 && System.currentTimeMillis() < deadline) Thread.sleep(10);
            assertEquals(5, store.readCalls(), "block 0 plus 4 blocks ahead");
            // Reading the prefetched region costs no further requests for those blocks.
            ByteBuffer b = ByteBuffer.allocate(128 * 1024);
            fs.read(ino, fh, 4L * 4 * MIB + 5, b);
            assertEquals(ByteBuffer.wrap(blob, 4 * 4 * MIB + 5, b.capacity()), b.flip());
            assertTrue(store.readCalls() <= 9, "reads: " + store.readCalls());
            fs.release(ino, fh);
        }
    }

    @Test
    void randomReadsDoNotPrefetch() throws Exception {
        byte[] blob = new byte[48 * MIB];
        MemoryObjectStore store = storeWithBlob(blob);
        try (ObjectFileSystem fs = ObjectFileSystem.builder(store).options(FsOptions.defaults().withReadaheadBlocks(4)).build()) {
            long ino = fs.lookup(1, "blob").ino();
            long fh = fs.open(ino, 0);
            long[] offs = {40L * MIB, 3L * MIB, 25L * MIB, 10L * MIB, 33L * MIB};
            for (long off : offs) fs.read(ino, fh, off, ByteBuffer.allocate(4096));
            Thread.sleep(200);
            assertEquals(offs.length, store.readCalls());
        }
    }
}
