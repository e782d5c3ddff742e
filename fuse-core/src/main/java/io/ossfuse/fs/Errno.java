package io.ossfuse.fs;

/**
 * The one errno table of the project: the Linux numbers by name, for filesystem answers, FUSE
 * replies (negated: {@link #negative}) and the results of libc calls ({@link #of}).
 */
public enum Errno {
  EPERM(1),
  ENOENT(2),
  EINTR(4),
  EIO(5),
  ENXIO(6),
  EBADF(9),
  EAGAIN(11),
  EACCES(13),
  EBUSY(16),
  ENODEV(19),
  ENOTDIR(20),
  EISDIR(21),
  EINVAL(22),
  EFBIG(27),
  ENOSPC(28),
  EROFS(30),
  ERANGE(34),
  ENAMETOOLONG(36),
  ENOSYS(38),
  ENOTEMPTY(39),
  ENODATA(61),
  EOPNOTSUPP(95),
  ECONNABORTED(103),
  ETIMEDOUT(110),
  ESTALE(116);

  private static final Errno[] BY_CODE = new Errno[128];

  static {
    for (Errno e : values()) BY_CODE[e.code] = e;
  }

  public final int code;

  Errno(int code) {
    this.code = code;
  }

  /** The error field of a FUSE reply and the return value of a libfuse operation: {@code -code}. */
  public int negative() {
    return -code;
  }

  /** Whether {@code code} (as libc's errno gives it) is this errno. */
  public boolean is(int code) {
    return this.code == code;
  }

  /** The errno numbered {@code code}, or null when this table does not name it. */
  public static Errno of(int code) {
    return code > 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }

  /** "ENOENT" for a code the table names, else "errno N": for messages and logs. */
  public static String nameOf(int code) {
    Errno e = of(code);
    return e != null ? e.name() : "errno " + code;
  }
}
