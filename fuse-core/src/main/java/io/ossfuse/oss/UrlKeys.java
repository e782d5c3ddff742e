package io.ossfuse.oss;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes keys of a listing sent with {@code encoding-type=url}. A key need not be valid UTF-8 (OSS
 * stores bytes); {@link java.net.URLDecoder} would turn such bytes into U+FFFD, indistinguishable
 * from a real U+FFFD, and the key could not be asked for again. Here each byte that is not part of
 * valid UTF-8 becomes a lone surrogate U+DC80..U+DCFF (as Python's "surrogateescape"), which no
 * valid key contains (the convention of {@code ObjectStore.list}): the filesystem recognises and
 * skips them.
 */
public final class UrlKeys {
  private UrlKeys() {}

  /** Percent-decodes {@code s} ('+' is a space, as the SDK's other listings decode it). */
  public static String decode(String s) {
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%'
          && i + 2 < s.length()
          && hex(s.charAt(i + 1)) >= 0
          && hex(s.charAt(i + 2)) >= 0) {
        bytes.write(hex(s.charAt(i + 1)) << 4 | hex(s.charAt(i + 2)));
        i += 2;
      } else if (c == '+') {
        bytes.write(' ');
      } else {
        // a character the server did not encode (it should have): as UTF-8, whole code point
        int cp = s.codePointAt(i);
        bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp) - 1;
      }
    }
    return utf8Escaping(bytes.toByteArray());
  }

  /** UTF-8 bytes to a string, each byte of an invalid sequence as U+DC80 + its value. */
  static String utf8Escaping(byte[] b) {
    CharsetDecoder d =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(b);
    CharBuffer out = CharBuffer.allocate(b.length);
    while (true) {
      CoderResult r = d.decode(in, out, true);
      if (r.isUnderflow()) break;
      if (r.isError()) {
        for (int k = 0; k < r.length(); k++) out.put((char) (0xDC00 | (in.get() & 0xFF)));
      } else {
        throw new IllegalStateException(
            "UTF-8 decoding overflowed: " + r); // cannot happen: 1 char per byte at most
      }
    }
    return out.flip().toString();
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }
}
