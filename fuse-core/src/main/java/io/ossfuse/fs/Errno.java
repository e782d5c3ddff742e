package io.ossfuse.fs;

/** The Linux errno values the filesystem can answer with; transports negate {@link #code}. */
public enum Errno {
    EPERM(1), ENOENT(2), EINTR(4), EIO(5), EBADF(9), EAGAIN(11), EACCES(13), EBUSY(16), ENOTDIR(20),
    EISDIR(21), EINVAL(22), EFBIG(27), ENOSPC(28), EROFS(30), ERANGE(34), ENAMETOOLONG(36), ENOSYS(38),
    ENOTEMPTY(39), ENODATA(61), EOPNOTSUPP(95), ETIMEDOUT(110), ESTALE(116);

    public final int code;

    Errno(int code) {
        this.code = code;
    }
}
