package io.ossfuse.localoss;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

/** Percent-encoding, decoding and hex helpers shared by routing, signing and listing. */
final class Codec {
  private static final HexFormat HEX_UPPER = HexFormat.of().withUpperCase();
  private static final char[] HEX_DIGITS = "0123456789ABCDEF".toCharArray();

  private Codec() {}

  /**
   * Encodes like the SDK's {@code HttpUtil.urlEncode}: RFC 3986 unreserved characters stay, every
   * other UTF-8 byte becomes %XX (upper case); '/' stays only when {@code keepSlash}.
   */
  static String urlEncode(String value, boolean keepSlash) {
    if (value == null) {
      return "";
    }
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(bytes.length + 16);
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~'
          || (keepSlash && c == '/')) {
        sb.append((char) c);
      } else {
        sb.append('%').append(HEX_DIGITS[c >> 4]).append(HEX_DIGITS[c & 0xf]);
      }
    }
    return sb.toString();
  }

  /**
   * Decodes %XX sequences as UTF-8. '+' becomes a space only when {@code plusIsSpace} (query
   * strings), never in a path, where a literal '+' is part of the key.
   */
  static String percentDecode(String raw, boolean plusIsSpace) {
    if (raw == null) {
      return null;
    }
    if (raw.indexOf('%') < 0 && (!plusIsSpace || raw.indexOf('+') < 0)) {
      return raw;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < raw.length()) {
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("bad percent escape at " + i);
        }
        out.write(hi << 4 | lo);
        i += 2;
      } else if (c == '%') {
        throw new IllegalArgumentException("truncated percent escape at " + i);
      } else if (c == '+' && plusIsSpace) {
        out.write(' ');
      } else if (c < 0x80) {
        out.write(c);
      } else {
        byte[] enc = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < raw.length()) {
          enc = raw.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.write(enc, 0, enc.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  static String hexUpper(byte[] bytes) {
    return HEX_UPPER.formatHex(bytes);
  }

  static String hexLower(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  /** Continuation tokens are opaque to clients; base64url keeps them unchanged by URL encoding. */
  static String encodeToken(String key) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(key.getBytes(StandardCharsets.UTF_8));
  }

  static String decodeToken(String token) {
    try {
      return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw OssError.badRequest("InvalidArgument", "The continuation-token is not valid.");
    }
  }

  /** Compares strings by Unicode code point, which is the UTF-8 byte order OSS lists keys in. */
  static int compareKeys(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  }
}
