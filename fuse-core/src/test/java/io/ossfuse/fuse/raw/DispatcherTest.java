package io.ossfuse.fuse.raw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fs.Errno;
import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FileType;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.OpenFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Request decoding and reply encoding against the layouts of include/uapi/linux/fuse.h, no kernel.
 */
class DispatcherTest {
  final List<String> forgets = new ArrayList<>();
  final PatternFileSystem fs =
      new PatternFileSystem(3 << 20, true, 0, 0) {
        @Override
        public void forget(long ino, long nlookup) {
          forgets.add(ino + ":" + nlookup);
        }
      };
  final AtomicReference<Negotiation> inited = new AtomicReference<>();
  final Dispatcher d =
      new Dispatcher(
          fs,
          RawFuseConfig.defaults(),
          in -> {
            Negotiation n = Negotiation.decide("s", in, RawFuseConfig.defaults());
            inited.set(n);
            return n;
          });
  final ByteBuffer out =
      ByteBuffer.allocateDirect(RawFuseConfig.defaults().outBufferBytes())
          .order(ByteOrder.LITTLE_ENDIAN);

  int handle(Requests r) {
    ByteBuffer in = r.build();
    return d.handle(in, r.length(), out);
  }

  void assertHeader(int len, int error, long unique, int replyLen) {
    assertEquals(len, replyLen, "reply length");
    assertEquals(len, out.getInt(0), "out header len");
    assertEquals(error, out.getInt(4), "out header error");
    assertEquals(unique, out.getLong(8), "out header unique echoed");
  }

  @Test
  void initNegotiatesMaxPagesAndOurMinor() {
    long flags =
        Wire.ASYNC_READ
            | Wire.MAX_PAGES
            | Wire.DO_READDIRPLUS
            | Wire.READDIRPLUS_AUTO
            | Wire.EXPORT_SUPPORT
            | Wire.PARALLEL_DIROPS
            | Wire.INIT_EXT
            | (1L << 16) /* writeback: never asked */;
    int n =
        handle(
            Requests.op(Wire.INIT, 9, 0)
                .i32(7)
                .i32(45)
                .i32(131072)
                .i32((int) flags)
                .i32((int) (Wire.HAS_RESEND >>> 32))
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0));
    assertHeader(16 + 64, 0, 9, n);
    assertEquals(7, out.getInt(16));
    assertEquals(40, out.getInt(20), "min(kernel 45, ours 40)");
    assertEquals(
        1 << 20, out.getInt(24), "max_readahead: a full request, not the kernel's 128 KiB offer");
    int answered = out.getInt(28);
    assertEquals(
        Wire.ASYNC_READ
            | Wire.MAX_PAGES
            | Wire.DO_READDIRPLUS
            | Wire.READDIRPLUS_AUTO
            | Wire.PARALLEL_DIROPS
            | Wire.INIT_EXT,
        answered & 0xffffffffL,
        "only offered and wanted flags; never EXPORT_SUPPORT or writeback");
    assertEquals(0, out.getInt(48), "flags2: passthrough was not offered");
    assertEquals(0, out.getInt(52), "max_stack_depth 0 without passthrough");
    assertEquals(1 << 20, out.getInt(36), "max_write 1 MiB");
    assertEquals(256, out.getShort(44), "max_pages: 1 MiB requests");
    assertTrue(inited.get().resendSupported(), "HAS_RESEND read from flags2");
  }

  @Test
  void initAsksForPassthroughWhenOfferedUnlessTurnedOff() {
    long flags = Wire.ASYNC_READ | Wire.MAX_PAGES | Wire.INIT_EXT;
    int flags2 = (int) ((Wire.HAS_RESEND | Wire.PASSTHROUGH) >>> 32);
    handle(
        Requests.op(Wire.INIT, 9, 0)
            .i32(7)
            .i32(45)
            .i32(131072)
            .i32((int) flags)
            .i32(flags2)
            .i32(0)
            .i32(0)
            .i32(0)
            .i32(0)
            .i32(0)
            .i32(0)
            .i32(0)
            .i32(0)
            .i32(0)
            .i32(0)
            .i32(0));
    assertTrue((out.getInt(28) & Wire.INIT_EXT) != 0, "INIT_EXT: the kernel reads flags2");
    assertEquals((int) (Wire.PASSTHROUGH >>> 32), out.getInt(48), "FUSE_PASSTHROUGH in flags2");
    assertEquals(Wire.MAX_STACK_DEPTH, out.getInt(52), "max_stack_depth");
    assertTrue(inited.get().passthrough());

    Negotiation off =
        Negotiation.decide(
            "s",
            Requests.op(Wire.INIT, 9, 0)
                .i32(7)
                .i32(45)
                .i32(131072)
                .i32((int) flags)
                .i32(flags2)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .i32(0)
                .build(),
            RawFuseConfig.defaults().withPassthrough(false));
    assertFalse(off.passthrough(), "-o passthrough=off");
  }

  @Test
  void initFromOlderKernelWithoutResend() {
    handle(
        Requests.op(Wire.INIT, 1, 0)
            .i32(7)
            .i32(31)
            .i32(131072)
            .i32((int) (Wire.ASYNC_READ | Wire.MAX_PAGES)));
    assertEquals(31, out.getInt(20));
    assertEquals(false, inited.get().resendSupported());
  }

  @Test
  void lookupEncodesEntryOutWithTimeouts() {
    int n = handle(Requests.op(Wire.LOOKUP, 77, 1).cstr("hello"));
    assertHeader(16 + 128, 0, 77, n);
    assertEquals(PatternFileSystem.HELLO, out.getLong(16), "nodeid");
    assertEquals(1, out.getLong(32), "entry_valid s");
    assertEquals(1, out.getLong(40), "attr_valid s");
    int attr = 16 + 40;
    assertEquals(PatternFileSystem.HELLO, out.getLong(attr));
    assertEquals(PatternFileSystem.HELLO_BYTES.length, out.getLong(attr + 8), "size");
    assertEquals(1, out.getLong(attr + 16), "512-byte blocks");
    assertEquals(PatternFileSystem.MTIME.getEpochSecond(), out.getLong(attr + 32), "mtime");
    assertEquals(123456789, out.getInt(attr + 52), "mtime nsec");
    assertEquals(0100444, out.getInt(attr + 60), "mode");
  }

  @Test
  void lookupMissIsEnoentAndResentUniqueIsEchoed() {
    long resent = 5 | Wire.UNIQUE_RESEND;
    int n = handle(Requests.op(Wire.LOOKUP, resent, 1).cstr("nope"));
    assertHeader(16, Errno.ENOENT.negative(), resent, n);
  }

  @Test
  void negativeEntriesWhenConfigured() {
    Dispatcher neg =
        new Dispatcher(
            fs,
            RawFuseConfig.defaults().withNegativeTimeout(java.time.Duration.ofMillis(2500)),
            in -> null);
    Requests r = Requests.op(Wire.LOOKUP, 50, 1).cstr("nope");
    int n = neg.handle(r.build(), r.length(), out);
    assertHeader(16 + 128, 0, 50, n);
    assertEquals(0, out.getLong(16), "nodeid 0: a negative entry");
    assertEquals(2, out.getLong(32), "entry_valid s");
    assertEquals(500_000_000, out.getInt(48), "entry_valid nsec");
  }

  @Test
  void getattrAndStatfs() {
    int n = handle(Requests.op(Wire.GETATTR, 3, 1).i32(0).i32(0).i64(0));
    assertHeader(16 + 104, 0, 3, n);
    assertEquals(040555, out.getInt(16 + 16 + 60));
    n = handle(Requests.op(Wire.STATFS, 4, 1));
    assertHeader(16 + 80, 0, 4, n);
    assertEquals(1 << 20, out.getLong(16), "blocks");
    assertEquals(4096, out.getInt(16 + 40), "bsize");
    assertEquals(255, out.getInt(16 + 44), "namelen");
  }

  @Test
  void openKeepsCacheAndNeverFlushes() {
    int n = handle(Requests.op(Wire.OPEN, 5, PatternFileSystem.BIG).i32(0).i32(0));
    assertHeader(16 + 16, 0, 5, n);
    assertEquals(PatternFileSystem.BIG, out.getLong(16), "fh from the filesystem");
    assertEquals(Wire.FOPEN_KEEP_CACHE | Wire.FOPEN_NOFLUSH, out.getInt(24));
    assertHeader(
        16,
        Errno.ENOSYS.negative(),
        6,
        handle(Requests.op(Wire.FLUSH, 6, PatternFileSystem.BIG).i64(2).i64(0).i64(0)));
    assertHeader(
        16,
        Errno.EROFS.negative(),
        7,
        handle(Requests.op(Wire.OPEN, 7, PatternFileSystem.BIG).i32(1).i32(0)));
  }

  @Test
  void anOpenOfAnotherVersionDropsTheCacheWithAnAttributeNotificationOrBypassesIt() {
    AtomicReference<OpenFile.PageCache> decision = new AtomicReference<>();
    PatternFileSystem versioned =
        new PatternFileSystem(3 << 20, true, 0, 0) {
          @Override
          public OpenFile open(long ino, int flags) throws FsException {
            return new OpenFile(42, decision.get(), super.open(ino, flags).attr());
          }
        };
    List<ByteBuffer> written = new ArrayList<>();
    FuseChannel kernel =
        new FuseChannel() {
          @Override
          public long read(ByteBuffer buf, int capacity) {
            return Errno.ENODEV.negative();
          }

          @Override
          public int write(ByteBuffer buf, int len) {
            ByteBuffer copy = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
            copy.put(buf.duplicate().clear().limit(len)).flip();
            written.add(copy);
            return 0;
          }
        };
    Dispatcher v = new Dispatcher(versioned, RawFuseConfig.defaults(), in -> null, kernel);

    decision.set(OpenFile.PageCache.DROP);
    ByteBuffer req = Requests.op(Wire.OPEN, 5, PatternFileSystem.BIG).i32(0).i32(0).build();
    assertEquals(32, v.handle(req, req.getInt(0), out));
    assertEquals(
        Wire.FOPEN_NOFLUSH,
        out.getInt(24),
        "no KEEP_CACHE: the kernel drops the pages at this open");
    assertEquals(1, written.size(), "one notification, before the reply");
    ByteBuffer note = written.get(0);
    assertEquals(40, note.getInt(0));
    assertEquals(Wire.NOTIFY_INVAL_INODE, note.getInt(4));
    assertEquals(0, note.getLong(8), "unique 0: a notification");
    assertEquals(PatternFileSystem.BIG, note.getLong(16));
    assertEquals(
        -1, note.getLong(24), "attributes only: a page range here could wait on this very worker");

    decision.set(OpenFile.PageCache.BYPASS);
    req = Requests.op(Wire.OPEN, 6, PatternFileSystem.BIG).i32(0).i32(0).build();
    v.handle(req, req.getInt(0), out);
    assertEquals(
        Wire.FOPEN_DIRECT_IO | Wire.FOPEN_KEEP_CACHE | Wire.FOPEN_NOFLUSH,
        out.getInt(24),
        "direct I/O, leaving the pages to the reader of the other version");
    assertEquals(1, written.size());
  }

  @Test
  void readFillsTheRequestedRangeInOneReply() {
    long off = (1 << 20) + 5;
    int n =
        handle(
            Requests.op(Wire.READ, 8, PatternFileSystem.BIG)
                .readIn(PatternFileSystem.BIG, off, 1 << 20));
    assertHeader(16 + (1 << 20), 0, 8, n);
    for (int j = 0; j < 1 << 20; j += 4099) {
      assertEquals(PatternFileSystem.at(off + j), out.get(16 + j), "byte " + j);
    }
    n =
        handle(
            Requests.op(Wire.READ, 9, PatternFileSystem.BIG)
                .readIn(PatternFileSystem.BIG, (3 << 20) - 10, 4096));
    assertHeader(16 + 10, 0, 9, n);
    n =
        handle(
            Requests.op(Wire.READ, 10, PatternFileSystem.BIG)
                .readIn(PatternFileSystem.BIG, 3 << 20, 4096));
    assertHeader(16, 0, 10, n);
    n = handle(Requests.op(Wire.READ, 11, PatternFileSystem.BIG).readIn(99, 0, 4096));
    assertHeader(16, -9, 11, n);
  }

  @Test
  void readdirPacksAlignedDirentsWithinTheRequestedSize() {
    int n = handle(Requests.op(Wire.READDIR, 12, PatternFileSystem.DIR).readIn(4, 0, 4096));
    assertTrue(n <= 16 + 4096 && n > 16 + 4096 - 80, "filled close to 4096: " + n);
    int p = 16;
    List<String> names = new ArrayList<>();
    long lastOff = 0;
    while (p < n) {
      long ino = out.getLong(p);
      lastOff = out.getLong(p + 8);
      int len = out.getInt(p + 16);
      int type = out.getInt(p + 20);
      byte[] name = new byte[len];
      out.get(p + 24, name);
      names.add(new String(name, StandardCharsets.UTF_8));
      if (names.size() > 2) {
        assertEquals(PatternFileSystem.FIRST_FILE + names.size() - 3, ino);
        assertEquals(8, type, "DT_REG");
      }
      p += (24 + len + 7) & ~7;
    }
    assertEquals(n, p, "dirents are 8-byte aligned and fill the reply exactly");
    assertEquals(List.of(".", ".."), names.subList(0, 2));
    assertEquals(PatternFileSystem.fileName(0), names.get(2));
    assertEquals(names.size(), lastOff, "offset continues after the last entry");
    // Continue from there.
    handle(Requests.op(Wire.READDIR, 13, PatternFileSystem.DIR).readIn(4, lastOff, 4096));
    byte[] name = new byte[out.getInt(16 + 16)];
    out.get(16 + 24, name);
    assertEquals(
        PatternFileSystem.fileName((int) lastOff - 2), new String(name, StandardCharsets.UTF_8));
  }

  @Test
  void readdirplusCarriesEntriesAndSkipsDots() {
    int n = handle(Requests.op(Wire.READDIRPLUS, 14, 1).readIn(1, 0, 4096));
    int p = 16;
    List<Long> nodeids = new ArrayList<>();
    while (p < n) {
      nodeids.add(out.getLong(p));
      int len = out.getInt(p + 128 + 16);
      p += (128 + 24 + len + 7) & ~7;
    }
    assertEquals(n, p);
    assertEquals(
        List.of(0L, 0L, PatternFileSystem.BIG, PatternFileSystem.HELLO, PatternFileSystem.DIR),
        nodeids,
        "'.' and '..' carry no entry (the kernel takes no reference); the rest are looked up");
  }

  @Test
  void forgetsTakeNoReply() {
    assertEquals(Dispatcher.NO_REPLY, handle(Requests.op(Wire.FORGET, 15, 3).i64(2)));
    assertEquals(
        Dispatcher.NO_REPLY,
        handle(Requests.op(Wire.BATCH_FORGET, 16, 0).i32(2).i32(0).i64(2).i64(1).i64(4).i64(7)));
    assertEquals(List.of("3:2", "2:1", "4:7"), forgets);
    assertEquals(Dispatcher.NO_REPLY, handle(Requests.op(Wire.INTERRUPT, 17 | 1, 0).i64(16)));
  }

  @Test
  void xattrSizeProbeRangeAndMissing() {
    int n =
        handle(
            Requests.op(Wire.GETXATTR, 18, PatternFileSystem.HELLO)
                .i32(0)
                .i32(0)
                .cstr("user.test"));
    assertHeader(16 + 8, 0, 18, n);
    assertEquals(11, out.getInt(16), "size probe answers the length");
    assertHeader(
        16,
        Errno.ERANGE.negative(),
        19,
        handle(
            Requests.op(Wire.GETXATTR, 19, PatternFileSystem.HELLO)
                .i32(4)
                .i32(0)
                .cstr("user.test")));
    n =
        handle(
            Requests.op(Wire.GETXATTR, 20, PatternFileSystem.HELLO)
                .i32(64)
                .i32(0)
                .cstr("user.test"));
    byte[] v = new byte[n - 16];
    out.get(16, v);
    assertArrayEquals("xattr-value".getBytes(StandardCharsets.UTF_8), v);
    assertHeader(
        16,
        Errno.ENODATA.negative(),
        21,
        handle(
            Requests.op(Wire.GETXATTR, 21, PatternFileSystem.HELLO).i32(64).i32(0).cstr("user.x")));
    n = handle(Requests.op(Wire.LISTXATTR, 22, PatternFileSystem.HELLO).i32(0).i32(0));
    assertEquals(10, out.getInt(16), "\"user.test\\0\"");
    n = handle(Requests.op(Wire.LISTXATTR, 23, PatternFileSystem.HELLO).i32(100).i32(0));
    assertEquals(16 + 10, n);
  }

  @Test
  void writeOpcodesAreErofsTheRestEnosys() {
    for (int op :
        new int[] {
          Wire.SETATTR,
          Wire.SYMLINK,
          Wire.MKNOD,
          Wire.MKDIR,
          Wire.UNLINK,
          Wire.RMDIR,
          Wire.RENAME,
          Wire.LINK,
          Wire.WRITE,
          Wire.SETXATTR,
          Wire.REMOVEXATTR,
          Wire.CREATE,
          Wire.FALLOCATE,
          Wire.RENAME2,
          Wire.COPY_FILE_RANGE,
          Wire.TMPFILE
        }) {
      assertHeader(16, Errno.EROFS.negative(), op, handle(Requests.op(op, op, 1).i64(0).i64(0)));
    }
    for (int op :
        new int[] {
          Wire.READLINK,
          Wire.FSYNC,
          Wire.GETLK,
          Wire.IOCTL,
          Wire.POLL,
          Wire.LSEEK,
          Wire.BMAP,
          Wire.STATX,
          Wire.SYNCFS,
          4096
        }) {
      assertHeader(16, Errno.ENOSYS.negative(), op, handle(Requests.op(op, op, 1).i64(0).i64(0)));
    }
    assertHeader(
        16, Errno.EROFS.negative(), 30, handle(Requests.op(Wire.ACCESS, 30, 1).i32(2).i32(0)));
    assertHeader(16, 0, 31, handle(Requests.op(Wire.ACCESS, 31, 1).i32(4).i32(0)));
  }

  @Test
  void unexpectedFailureIsEioNotACrash() {
    Dispatcher broken =
        new Dispatcher(
            new PatternFileSystem(0, false, 0, 0) {
              @Override
              public FileAttr getattr(long ino) {
                throw new IllegalStateException("bug");
              }

              @Override
              public FileAttr lookup(long parent, String name) throws FsException {
                throw new FsException(Errno.ETIMEDOUT, "store slow");
              }
            },
            RawFuseConfig.defaults(),
            in -> null);
    Requests r = Requests.op(Wire.GETATTR, 40, 1).i32(0).i32(0).i64(0);
    broken.handle(r.build(), r.length(), out);
    assertEquals(Errno.EIO.negative(), out.getInt(4));
    r = Requests.op(Wire.LOOKUP, 41, 1).cstr("x");
    broken.handle(r.build(), r.length(), out);
    assertEquals(Errno.ETIMEDOUT.negative(), out.getInt(4));
  }

  @Test
  void attrOfDirectoryEntryType() {
    assertEquals(4, FileType.DIRECTORY.direntType);
  }
}
