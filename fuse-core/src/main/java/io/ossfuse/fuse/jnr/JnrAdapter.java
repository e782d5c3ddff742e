package io.ossfuse.fuse.jnr;

import io.ossfuse.fs.DirEntry;
import io.ossfuse.fs.Errno;
import io.ossfuse.fs.Errors;
import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.OpenFile;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.fs.StatFs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jnr.ffi.Pointer;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * Translates libfuse's path-based high-level API to the inode-based {@link ReadOnlyFileSystem}.
 * Paths are resolved to inodes component by component; the adapter holds one lookup reference per
 * path it resolved (libfuse does its own node bookkeeping, so it never forwards forgets). Every
 * failure leaves through {@link Errors#reply}. Write-ish operations answer EROFS (the mount is also "ro").
 */
final class JnrAdapter extends FuseStubFS {
    private static final com.kenai.jffi.MemoryIO MEMORY = com.kenai.jffi.MemoryIO.getInstance();
    private final ReadOnlyFileSystem fs;
    private final Map<String, Long> inodes = new ConcurrentHashMap<>();
    /**
     * The size and mtime last given to the kernel per inode: what it caches for the attribute timeout.
     * libfuse 2.9's high-level API cannot tell the kernel to drop them (no inode notifications).
     */
    private final Map<Long, KernelAttr> reported = new ConcurrentHashMap<>();

    private record KernelAttr(long size, Instant mtime) {
        static KernelAttr of(FileAttr a) {
            return new KernelAttr(a.size(), a.mtime());
        }
    }

    /**
     * struct fuse_file_info of libfuse 2.9 (64-bit): flags@0, fh_old@8, writepage@16, then the bit
     * fields at byte 20 (bit 0 direct_io, bit 1 keep_cache), fh@24. jnr-fuse maps the bits at the
     * wrong offset, so they are written here directly.
     */
    static final int FI_BITS_OFFSET = 20;
    static final int FI_DIRECT_IO = 1, FI_KEEP_CACHE = 1 << 1;

    JnrAdapter(ReadOnlyFileSystem fs) {
        this.fs = fs;
    }

    private long resolve(String path) throws FsException {
        if (path.equals("/")) return ReadOnlyFileSystem.ROOT_INO;
        Long known = inodes.get(path);
        if (known != null) return known;
        int slash = path.lastIndexOf('/');
        long parent = resolve(slash == 0 ? "/" : path.substring(0, slash));
        long ino = fs.lookup(parent, path.substring(slash + 1)).ino();
        Long prev = inodes.putIfAbsent(path, ino);
        if (prev != null) fs.forget(ino, 1); // lost a race; keep one reference per path
        return ino;
    }

    private static void fill(FileStat st, FileAttr a) {
        st.st_mode.set(a.mode());
        st.st_ino.set(a.ino());
        st.st_size.set(a.size());
        st.st_nlink.set(a.nlink());
        st.st_uid.set(a.uid());
        st.st_gid.set(a.gid());
        st.st_blocks.set(a.blocks512());
        st.st_blksize.set(4096);
        setTime(st.st_mtim, a);
        setTime(st.st_ctim, a);
        setTime(st.st_atim, a);
    }

    private static void setTime(Timespec t, FileAttr a) {
        t.tv_sec.set(a.mtime().getEpochSecond());
        t.tv_nsec.set(a.mtime().getNano());
    }

    @Override
    public int getattr(String path, FileStat stat) {
        try {
            FileAttr a = fs.getattr(resolve(path));
            reported.put(a.ino(), KernelAttr.of(a));
            fill(stat, a);
            return 0;
        } catch (FsException e) {
            if (e.errno() == Errno.ESTALE) inodes.remove(path);
            return Errors.reply(e, "getattr", path);
        } catch (RuntimeException e) {
            return Errors.reply(e, "getattr", path);
        }
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        try {
            fi.fh.set(fs.opendir(resolve(path)));
            return 0;
        } catch (FsException | RuntimeException e) {
            return Errors.reply(e, "opendir", path);
        }
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
        try {
            fs.readdir(resolve(path), fi.fh.get(), offset, (DirEntry e) -> filter.apply(buf, e.name(), null, e.nextOffset()) == 0);
            return 0;
        } catch (FsException | RuntimeException e) {
            return Errors.reply(e, "readdir", path);
        }
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        try {
            fs.releasedir(resolve(path), fi.fh.get());
            return 0;
        } catch (FsException e) {
            return 0; // the directory may be gone; the handle is released either way
        } catch (RuntimeException e) {
            return Errors.reply(e, "releasedir", path);
        }
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        try {
            OpenFile f = fs.open(resolve(path), fi.flags.get());
            if (f.backing() != null) f.backing().release(); // libfuse 2.9 has no passthrough
            fi.fh.set(f.fh());
            int bits = openBits(f);
            if (bits != 0) {
                jnr.ffi.Pointer p = jnr.ffi.Struct.getMemory(fi);
                p.putInt(FI_BITS_OFFSET, p.getInt(FI_BITS_OFFSET) | bits);
            }
            return 0;
        } catch (FsException | RuntimeException e) {
            return Errors.reply(e, "open", path);
        }
    }

    /**
     * The fuse_file_info bits for the filesystem's page-cache decision. The kernel's cached size and
     * mtime cannot be dropped from here, so an open whose version has other attributes than the
     * kernel holds bypasses the page cache (direct I/O reads are not cut at the cached size); without
     * keep_cache its open also drops the pages, which then are of no version anyone reads.
     */
    int openBits(OpenFile f) {
        KernelAttr held = reported.get(f.attr().ino());
        boolean attrsCurrent = held == null || held.equals(KernelAttr.of(f.attr()));
        return switch (f.pageCache()) {
            case KEEP -> attrsCurrent ? FI_KEEP_CACHE : FI_DIRECT_IO | FI_KEEP_CACHE;
            case DROP -> attrsCurrent ? 0 : FI_DIRECT_IO;
            case BYPASS -> FI_DIRECT_IO | FI_KEEP_CACHE;
        };
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        try {
            int len = (int) Math.min(size, JnrFuseTransport.MAX_READ * 8L);
            long address = buf.address();
            if (address != 0) {
                // Zero-copy: the filesystem writes straight into libfuse's reply buffer.
                return fs.read(resolve(path), fi.fh.get(), offset, MEMORY.newDirectByteBuffer(address, len));
            }
            ByteBuffer dst = ByteBuffer.allocate(len);
            int n = fs.read(resolve(path), fi.fh.get(), offset, dst);
            buf.put(0, dst.array(), 0, n);
            return n;
        } catch (FsException | RuntimeException e) {
            return Errors.reply(e, "read", path);
        }
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        try {
            fs.release(resolve(path), fi.fh.get());
        } catch (FsException ignored) {
            // gone meanwhile; nothing to release
        } catch (RuntimeException e) {
            return Errors.reply(e, "release", path);
        }
        return 0;
    }

    @Override
    public int statfs(String path, Statvfs st) {
        try {
            StatFs s = fs.statfs();
            st.f_bsize.set(s.blockSize());
            st.f_frsize.set(s.blockSize());
            st.f_blocks.set(s.blocks());
            st.f_bfree.set(s.blocksFree());
            st.f_bavail.set(s.blocksFree());
            st.f_files.set(s.files());
            st.f_ffree.set(s.filesFree());
            st.f_favail.set(s.filesFree());
            st.f_namemax.set(s.nameMax());
            return 0;
        } catch (FsException | RuntimeException e) {
            return Errors.reply(e, "statfs", path);
        }
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        try {
            byte[] v = fs.getxattr(resolve(path), name);
            if (size == 0) return v.length;
            if (size < v.length) return Errno.ERANGE.negative();
            value.put(0, v, 0, v.length);
            return v.length;
        } catch (FsException | RuntimeException e) {
            return Errors.reply(e, "getxattr", path);
        }
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        try {
            List<String> names = fs.listxattr(resolve(path));
            ByteBuffer b = ByteBuffer.allocate(names.stream().mapToInt(n -> n.getBytes(StandardCharsets.UTF_8).length + 1).sum());
            for (String n : names) b.put(n.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
            if (size == 0) return b.capacity();
            if (size < b.capacity()) return Errno.ERANGE.negative();
            list.put(0, b.array(), 0, b.capacity());
            return b.capacity();
        } catch (FsException | RuntimeException e) {
            return Errors.reply(e, "listxattr", path);
        }
    }

    @Override
    public int access(String path, int mask) {
        try {
            resolve(path);
            return (mask & 2) != 0 ? Errno.EROFS.negative() : 0; // W_OK
        } catch (FsException | RuntimeException e) {
            return Errors.reply(e, "access", path);
        }
    }

    // ---- everything that would modify the filesystem ------------------------------------------
    private static final int EROFS = Errno.EROFS.negative();

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return EROFS;
    }

    @Override
    public int mknod(String path, @mode_t long mode, @dev_t long rdev) {
        return EROFS;
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return EROFS;
    }

    @Override
    public int unlink(String path) {
        return EROFS;
    }

    @Override
    public int rmdir(String path) {
        return EROFS;
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        return EROFS;
    }

    @Override
    public int rename(String oldpath, String newpath) {
        return EROFS;
    }

    @Override
    public int link(String oldpath, String newpath) {
        return EROFS;
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return EROFS;
    }

    @Override
    public int chown(String path, @uid_t long uid, @gid_t long gid) {
        return EROFS;
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return EROFS;
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return EROFS;
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return EROFS;
    }

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        return EROFS;
    }

    @Override
    public int removexattr(String path, String name) {
        return EROFS;
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return EROFS;
    }

    @Override
    public int fallocate(String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
        return EROFS;
    }
}
