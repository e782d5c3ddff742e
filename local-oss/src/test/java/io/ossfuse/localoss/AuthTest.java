package io.ossfuse.localoss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aliyun.oss.ClientBuilderConfiguration;
import com.aliyun.oss.HttpMethod;
import com.aliyun.oss.OSS;
import com.aliyun.oss.OSSClientBuilder;
import com.aliyun.oss.OSSException;
import com.aliyun.oss.common.auth.DefaultCredentialProvider;
import com.aliyun.oss.common.comm.SignVersion;
import com.aliyun.oss.model.GeneratePresignedUrlRequest;
import com.aliyun.oss.model.GetObjectRequest;
import com.aliyun.oss.model.OSSObject;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STS tokens, presigned URLs, anonymous access, conditional GETs through the SDK, and bind safety.
 */
class AuthTest {
  static final String AK = "sts-ak";
  static final String SK = "sts-secret/with+odd=chars";
  static final String TOKEN = "CAIS-token+/=value";
  static final String KEY = "dir/the file+%ü.txt";

  @TempDir static Path root;
  static LocalOssServer server;

  @BeforeAll
  static void start() throws IOException {
    Files.createDirectories(root.resolve("sts/dir"));
    Files.writeString(root.resolve("sts/" + KEY), "secret data");
    server =
        LocalOssServer.builder()
            .root(root)
            .credentials(AK, SK)
            .securityToken(TOKEN)
            .build()
            .start();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static OSS client(String token, SignVersion v) {
    ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
    conf.setSignatureVersion(v);
    conf.setMaxErrorRetry(0);
    return OSSClientBuilder.create()
        .endpoint(server.endpoint())
        .credentialsProvider(
            token == null
                ? new DefaultCredentialProvider(AK, SK)
                : new DefaultCredentialProvider(AK, SK, token))
        .clientConfiguration(conf)
        .region("cn-hangzhou")
        .build();
  }

  static String read(OSS c, String key) throws IOException {
    try (OSSObject o = c.getObject("sts", key)) {
      return new String(o.getObjectContent().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void stsTokenIsRequiredAndChecked() throws IOException {
    for (SignVersion v : List.of(SignVersion.V1, SignVersion.V4)) {
      OSS good = client(TOKEN, v);
      OSS wrong = client("other-token", v);
      OSS none = client(null, v);
      try {
        assertEquals("secret data", read(good, KEY), v.toString());
        OSSException e = assertThrows(OSSException.class, () -> read(wrong, KEY));
        assertEquals("InvalidSecurityToken", e.getErrorCode());
        e = assertThrows(OSSException.class, () -> none.listObjectsV2("sts"));
        assertEquals("InvalidSecurityToken", e.getErrorCode());
      } finally {
        good.shutdown();
        wrong.shutdown();
        none.shutdown();
      }
    }
    assertTrue(server.counters().authFailures() >= 4);
  }

  @Test
  void presignedUrlsWorkAndExpire() throws IOException {
    for (SignVersion v : List.of(SignVersion.V1, SignVersion.V4)) {
      OSS c = client(TOKEN, v);
      try {
        URL url = c.generatePresignedUrl("sts", KEY, new Date(System.currentTimeMillis() + 60_000));
        RawHttp.Response r = RawHttp.get(server.port(), url.getFile());
        assertEquals(200, r.status(), v + " " + r.text());
        assertEquals("secret data", r.text());

        GeneratePresignedUrlRequest req =
            new GeneratePresignedUrlRequest("sts", KEY, HttpMethod.GET);
        req.setExpiration(new Date(System.currentTimeMillis() - 120_000));
        URL expired = c.generatePresignedUrl(req);
        RawHttp.Response x = RawHttp.get(server.port(), expired.getFile());
        assertEquals(403, x.status(), v + " " + x.text());

        String tampered = url.getFile().replace("the%20file", "the%20filf");
        assertEquals(403, RawHttp.get(server.port(), tampered).status());
      } finally {
        c.shutdown();
      }
    }
  }

  @Test
  void unsignedRequestsAreRefusedUnlessAnonymousReadIsOn(@TempDir Path dir) throws IOException {
    RawHttp.Response r = RawHttp.get(server.port(), "/sts/dir/");
    assertEquals(403, r.status());
    assertTrue(r.text().contains("<Code>AccessDenied</Code>"));
    Files.createDirectories(dir.resolve("pub"));
    Files.writeString(dir.resolve("pub/x"), "x");
    try (LocalOssServer anon =
        LocalOssServer.builder().root(dir).allowAnonymousRead(true).build().start()) {
      assertEquals("x", RawHttp.get(anon.port(), "/pub/x").text());
      assertEquals(
          403, RawHttp.send(anon.port(), "PUT", "/pub/y", Map.of("Content-Length", "0")).status());
    }
  }

  @Test
  void conditionalGetThroughTheSdk() throws IOException {
    OSS c = client(TOKEN, SignVersion.V4);
    try {
      String etag = c.getObjectMetadata("sts", KEY).getETag();
      GetObjectRequest mismatch = new GetObjectRequest("sts", KEY);
      mismatch.setMatchingETagConstraints(List.of("0123456789ABCDEF0123456789ABCDEF"));
      OSSException e = assertThrows(OSSException.class, () -> c.getObject(mismatch).close());
      assertEquals("PreconditionFailed", e.getErrorCode());

      GetObjectRequest match = new GetObjectRequest("sts", KEY);
      match.setMatchingETagConstraints(List.of(etag));
      try (OSSObject o = c.getObject(match)) {
        assertEquals(
            "secret data", new String(o.getObjectContent().readAllBytes(), StandardCharsets.UTF_8));
      }
      GetObjectRequest notModified = new GetObjectRequest("sts", KEY);
      notModified.setNonmatchingETagConstraints(List.of(etag));
      e = assertThrows(OSSException.class, () -> c.getObject(notModified).close());
      assertEquals("NotModified", e.getErrorCode());
    } finally {
      c.shutdown();
    }
  }

  @Test
  void etagChangesWhenTheFileChanges() throws Exception {
    OSS c = client(TOKEN, SignVersion.V1);
    try {
      Path f = root.resolve("sts/dir/changing.txt");
      Files.writeString(f, "one");
      String first = c.getObjectMetadata("sts", "dir/changing.txt").getETag();
      assertEquals("F97C5D29941BFB1B2FDAB0874906AB82", first);
      Files.writeString(f, "two");
      Files.setLastModifiedTime(
          f, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
      assertEquals(
          "B8A9F715DBB64FD5C56E7783C6820A61",
          c.getObjectMetadata("sts", "dir/changing.txt").getETag());
    } finally {
      c.shutdown();
    }
  }

  @Test
  void nonLoopbackBindIsRefusedUnlessAllowed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LocalOssServer.builder().root(root).bindAddress("0.0.0.0").build());
    assertTrue(
        e.getMessage().startsWith("bindAddress: 0.0.0.0 is not a loopback address"),
        e.getMessage());
    LocalOssServer.builder()
        .root(root)
        .bindAddress("0.0.0.0")
        .allowNonLoopback(true)
        .build(); // not started
    assertThrows(IllegalArgumentException.class, () -> LocalOssServer.builder().build());
    assertThrows(
        IllegalArgumentException.class,
        () -> LocalOssServer.builder().root(root).bucket("B").build());
  }

  @Test
  void bannerHasEndpointBucketAndKeysButToStringHasNoSecret() {
    String banner = server.banner();
    assertTrue(
        banner.contains(server.endpoint())
            && banner.contains(" bucket=sts ")
            && banner.contains(SK),
        banner);
    assertTrue(!server.toString().contains(SK) && server.toString().contains(server.endpoint()));
  }
}
