package io.ossfuse.oss;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class UrlKeysTest {
  @Test
  void decodesLikeUrlDecoderForValidUtf8() {
    assertEquals("dir/x y %20 ü.txt", UrlKeys.decode("dir/x+y+%2520+%C3%BC.txt"));
    assertEquals("plain/key", UrlKeys.decode("plain/key"));
    assertEquals("\uD83D\uDE00", UrlKeys.decode("%F0%9F%98%80"), "a character outside the BMP");
    assertEquals(
        "\u00FC\uD83D\uDE00 %",
        UrlKeys.decode("\u00FC\uD83D\uDE00+%25"), "characters left unencoded");
  }

  @Test
  void bytesThatAreNotUtf8BecomeLoneSurrogatesNotReplacementCharacters() {
    assertEquals("bad\uDCFF", UrlKeys.decode("bad%FF"));
    assertEquals("a\uDCE4\uDCB8b", UrlKeys.decode("a%E4%B8b"), "a cut sequence: each byte escaped");
    assertEquals("ok\uFFFD", UrlKeys.decode("ok%EF%BF%BD"), "a real U+FFFD stays one");
    assertEquals("\uDCC0\uDC80", UrlKeys.decode("%C0%80"), "an overlong NUL is not UTF-8");
  }
}
