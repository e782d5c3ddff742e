package io.ossfuse.fs;

import java.nio.charset.StandardCharsets;

/**
 * Which keys and names can be served as files. A key the store lists but could not be asked for
 * again (not valid UTF-8: the SDK sends keys as UTF-8; over 1,023 bytes or starting with '\': the
 * SDK refuses them) is neither listed nor found by lookup, so the two always agree.
 */
final class KeyNames {
  /** OSS's limit on a key, in UTF-8 bytes. */
  static final int MAX_KEY_BYTES = 1023;

  /** The longest file name the kernel takes. */
  static final int MAX_NAME_BYTES = 255;

  private KeyNames() {}

  /** Why {@code key} cannot be served, or null when it can. */
  static String unservableKey(String key) {
    if (hasInvalidUtf8(key)) return "not valid UTF-8";
    if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES)
      return "longer than " + MAX_KEY_BYTES + " bytes";
    if (key.startsWith("\\")) return "starts with '\\'";
    return null;
  }

  /** Why {@code name} cannot be a file name in a directory listing, or null when it can. */
  static String invalidName(String name) {
    if (name.isEmpty()) return "an empty path segment";
    if (name.equals(".") || name.equals("..")) return "'" + name + "' as a path segment";
    if (name.indexOf('/') >= 0) return "a '/' in a name";
    if (name.indexOf('\0') >= 0) return "a NUL in a name";
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES)
      return "a name over " + MAX_NAME_BYTES + " bytes";
    return null;
  }

  /**
   * A lone surrogate: how the store marks a byte that was not valid UTF-8 (see ObjectStore.list).
   */
  static boolean hasInvalidUtf8(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /** The key shown in a log line: printable, invalid bytes as \xNN, long keys cut. */
  static String printable(String key) {
    StringBuilder b = new StringBuilder();
    int i = 0;
    for (; i < key.length() && b.length() < 120; i++) {
      char c = key.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < key.length()
          && Character.isLowSurrogate(key.charAt(i + 1))) {
        b.append(c).append(key.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        b.append(String.format("\\x%02X", c & 0xFF));
      } else if (Character.isISOControl(c)) {
        b.append(String.format("\\x%02X", (int) c));
      } else {
        b.append(c);
      }
    }
    return i < key.length() ? b.append("...").toString() : b.toString();
  }
}
