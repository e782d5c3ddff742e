package io.ossfuse.fs;

import java.time.Instant;

/**
 * The attributes of one inode, as getattr/lookup report them. {@code perm} holds the 07777 bits
 * only.
 */
public record FileAttr(
    long ino, FileType type, long size, int perm, int nlink, int uid, int gid, Instant mtime) {

  public int mode() {
    return type.modeBits | (perm & 07777);
  }

  public long blocks512() {
    return (size + 511) / 512;
  }
}
