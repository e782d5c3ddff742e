package io.ossfuse.oss;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OssUriTest {
  @Test
  void parsesBucketAndDirectory() {
    assertEquals(new OssUri("my-bucket", ""), OssUri.parse("oss://my-bucket"));
    assertEquals(new OssUri("my-bucket", ""), OssUri.parse("oss://my-bucket/"));
    assertEquals(new OssUri("b01", "a/b c/"), OssUri.parse("oss://b01/a/b c"));
    assertEquals(new OssUri("b01", "a/b/"), OssUri.parse("oss://b01/a/b/"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "s3://bucket/x",
        "oss:/bucket",
        "oss://",
        "oss:///dir",
        "oss://Bucket/x",
        "oss://ab",
        "oss://-bucket",
        "oss://bucket//x",
        "oss://bucket/a/../b",
        "oss://bucket/x?y",
        "bucket/dir"
      })
  void rejectsMalformedUrlsWithOneLine(String s) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OssUri.parse(s));
    assertFalse(e.getMessage().contains("\n"));
    assertTrue(e.getMessage().contains("oss://"), e.getMessage());
  }

  @Test
  void endpointsAreNormalized() {
    assertEquals(
        "https://oss-cn-hangzhou.aliyuncs.com",
        OssConfig.normalizeEndpoint("oss-cn-hangzhou.aliyuncs.com"));
    assertEquals("http://127.0.0.1:9000", OssConfig.normalizeEndpoint("http://127.0.0.1:9000/"));
    assertThrows(IllegalArgumentException.class, () -> OssConfig.normalizeEndpoint("ftp://x"));
    assertThrows(
        IllegalArgumentException.class, () -> OssConfig.normalizeEndpoint("http://x/path"));
  }
}
