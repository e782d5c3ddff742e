package io.ossfuse.fs;

public enum FileType {
  DIRECTORY(0040000, 4),
  REGULAR(0100000, 8);

  /** The S_IFMT bits of st_mode. */
  public final int modeBits;

  /** The d_type value of a dirent. */
  public final int direntType;

  FileType(int modeBits, int direntType) {
    this.modeBits = modeBits;
    this.direntType = direntType;
  }
}
