package io.ossfuse.localoss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aliyun.oss.ClientBuilderConfiguration;
import com.aliyun.oss.OSS;
import com.aliyun.oss.OSSClientBuilder;
import com.aliyun.oss.OSSException;
import com.aliyun.oss.common.comm.SignVersion;
import com.aliyun.oss.model.BucketInfo;
import com.aliyun.oss.model.GetObjectRequest;
import com.aliyun.oss.model.ListObjectsRequest;
import com.aliyun.oss.model.ListObjectsV2Request;
import com.aliyun.oss.model.ListObjectsV2Result;
import com.aliyun.oss.model.OSSObject;
import com.aliyun.oss.model.OSSObjectSummary;
import com.aliyun.oss.model.ObjectListing;
import com.aliyun.oss.model.ObjectMetadata;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real aliyun-sdk-oss client against the server, signature V1 and V4. Fixture (bucket "data"):
 *
 * <pre>
 * README.txt, big/large.bin (3 MiB), small/file-0000..0019.bin, nested/a/b/c/deep.txt,
 * nested/a/sibling.txt, empty-dir/ (marker), weird/... (odd names), many/k-0000..k-2499 (2,500 keys)
 * </pre>
 */
class SdkCompatibilityTest {
  static final String AK = "test-ak";
  static final String SK = "test-secret";
  static final long LARGE = 3L << 20;

  @TempDir static Path root;
  static LocalOssServer server;
  static OSS v1;
  static OSS v4;
  static SampleDataset sample;

  @BeforeAll
  static void start() throws IOException {
    sample = SampleDataset.generate(root.resolve("data"), LARGE, 20);
    Path many = Files.createDirectories(root.resolve("data/many"));
    for (int i = 0; i < 2500; i++) {
      Files.writeString(many.resolve(String.format("k-%04d", i)), Integer.toString(i));
    }
    server = LocalOssServer.builder().root(root).credentials(AK, SK).build().start();
    v1 = new OSSClientBuilder().build(server.endpoint(), AK, SK);
    ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
    conf.setSignatureVersion(SignVersion.V4);
    v4 =
        OSSClientBuilder.create()
            .endpoint(server.endpoint())
            .credentialsProvider(new com.aliyun.oss.common.auth.DefaultCredentialProvider(AK, SK))
            .clientConfiguration(conf)
            .region("cn-hangzhou")
            .build();
  }

  @AfterAll
  static void stop() {
    if (v1 != null) {
      v1.shutdown();
    }
    if (v4 != null) {
      v4.shutdown();
    }
    if (server != null) {
      server.close();
    }
  }

  static List<OSS> clients() {
    return List.of(v1, v4);
  }

  @Test
  void bucketExistsAndInfo() {
    for (OSS c : clients()) {
      assertTrue(c.doesBucketExist("data"));
      assertFalse(c.doesBucketExist("nope-bucket"));
      BucketInfo info = c.getBucketInfo("data");
      assertEquals("data", info.getBucket().getName());
      assertEquals("oss-cn-hangzhou", c.getBucketLocation("data"));
    }
  }

  @Test
  void headObjectGivesSizeEtagAndLastModified() throws IOException {
    for (OSS c : clients()) {
      ObjectMetadata md = c.getObjectMetadata("data", SampleDataset.LARGE_FILE_KEY);
      assertEquals(LARGE, md.getContentLength());
      assertEquals(32, md.getETag().length());
      assertEquals(
          Files.getLastModifiedTime(root.resolve("data/big/large.bin")).toMillis() / 1000,
          md.getLastModified().getTime() / 1000);
      OSSException e =
          assertThrows(OSSException.class, () -> c.getObjectMetadata("data", "no/such"));
      assertEquals("NoSuchKey", e.getErrorCode());
    }
  }

  @Test
  void getWholeAndRangedObjects() throws IOException {
    byte[] all = Files.readAllBytes(root.resolve("data/big/large.bin"));
    for (OSS c : clients()) {
      try (OSSObject o = c.getObject("data", SampleDataset.LARGE_FILE_KEY)) {
        assertArrayEquals(all, o.getObjectContent().readAllBytes());
      }
      long[][] ranges = {{0, 0}, {5, 4096}, {LARGE - 10, LARGE - 1}, {1 << 20, (2 << 20) + 17}};
      for (long[] r : ranges) {
        GetObjectRequest req = new GetObjectRequest("data", SampleDataset.LARGE_FILE_KEY);
        req.setRange(r[0], r[1]);
        try (OSSObject o = c.getObject(req)) {
          byte[] got = o.getObjectContent().readAllBytes();
          assertArrayEquals(
              Arrays.copyOfRange(all, (int) r[0], (int) r[1] + 1),
              got,
              "range " + r[0] + "-" + r[1]);
          assertEquals(SampleDataset.byteAt(r[0]), got[0]);
        }
      }
    }
  }

  @Test
  void listV2PagesThrough2500KeysBy1000() {
    for (OSS c : clients()) {
      List<String> keys = new ArrayList<>();
      String token = null;
      int pages = 0;
      do {
        ListObjectsV2Request req =
            new ListObjectsV2Request("data")
                .withPrefix("many/")
                .withMaxKeys(1000)
                .withContinuationToken(token);
        ListObjectsV2Result r = c.listObjectsV2(req);
        pages++;
        r.getObjectSummaries().forEach(s -> keys.add(s.getKey()));
        assertEquals(r.getObjectSummaries().size(), r.getKeyCount());
        token = r.isTruncated() ? r.getNextContinuationToken() : null;
      } while (token != null);
      assertEquals(3, pages);
      assertEquals(2500, keys.size());
      assertEquals("many/k-0000", keys.get(0));
      assertEquals("many/k-2499", keys.get(2499));
    }
  }

  @Test
  void listWithDelimiterGivesDirsAndFiles() {
    for (OSS c : clients()) {
      ListObjectsV2Result r =
          c.listObjectsV2(new ListObjectsV2Request("data").withDelimiter("/").withMaxKeys(1000));
      assertEquals(
          List.of("README.txt"),
          r.getObjectSummaries().stream().map(OSSObjectSummary::getKey).toList());
      assertEquals(
          List.of("big/", "empty-dir/", "many/", "nested/", "small/", "weird/"),
          r.getCommonPrefixes());

      ListObjectsV2Result e =
          c.listObjectsV2(
              new ListObjectsV2Request("data").withPrefix("empty-dir/").withDelimiter("/"));
      assertEquals(
          List.of("empty-dir/"),
          e.getObjectSummaries().stream().map(OSSObjectSummary::getKey).toList());
      assertEquals(0, e.getObjectSummaries().get(0).getSize());
    }
  }

  @Test
  void v4WithAdditionalSignedHeaderAndEncodedPagedDelimiterListing() throws IOException {
    GetObjectRequest req = new GetObjectRequest("data", "README.txt");
    req.addAdditionalHeaderName("host");
    req.addAdditionalHeaderName("range");
    req.setRange(0, 5);
    try (OSSObject o = v4.getObject(req)) {
      assertEquals(
          "ossfus", new String(o.getObjectContent().readAllBytes(), StandardCharsets.UTF_8));
    }
    for (OSS c : clients()) {
      List<String> seen = new ArrayList<>();
      String token = null;
      do {
        ListObjectsV2Result r =
            c.listObjectsV2(
                new ListObjectsV2Request("data")
                    .withDelimiter("/")
                    .withMaxKeys(2)
                    .withEncodingType("url")
                    .withContinuationToken(token));
        r.getObjectSummaries()
            .forEach(s -> seen.add(URLDecoder.decode(s.getKey(), StandardCharsets.UTF_8)));
        r.getCommonPrefixes().forEach(p -> seen.add(URLDecoder.decode(p, StandardCharsets.UTF_8)));
        token = r.isTruncated() ? r.getNextContinuationToken() : null;
      } while (token != null);
      assertEquals(
          List.of("README.txt", "big/", "empty-dir/", "many/", "nested/", "small/", "weird/"),
          seen.stream().sorted(Codec::compareKeys).toList());
      assertEquals(7, seen.size());
    }
  }

  @Test
  void listV1WithMarker() {
    for (OSS c : clients()) {
      List<String> keys = new ArrayList<>();
      String marker = null;
      do {
        ObjectListing l =
            c.listObjects(
                new ListObjectsRequest("data")
                    .withPrefix("small/")
                    .withMaxKeys(7)
                    .withMarker(marker));
        l.getObjectSummaries().forEach(s -> keys.add(s.getKey()));
        marker = l.isTruncated() ? l.getNextMarker() : null;
      } while (marker != null);
      assertEquals(20, keys.size());
    }
  }

  @Test
  void urlEncodedListingRoundTripsWeirdNames() throws IOException {
    for (OSS c : clients()) {
      ListObjectsV2Request req =
          new ListObjectsV2Request("data").withPrefix("weird/").withEncodingType("url");
      ListObjectsV2Result r = c.listObjectsV2(req);
      List<String> keys =
          r.getObjectSummaries().stream()
              .map(s -> URLDecoder.decode(s.getKey(), StandardCharsets.UTF_8))
              .collect(Collectors.toList());
      List<String> expected = new ArrayList<>(SampleDataset.WEIRD_KEYS);
      expected.sort(Codec::compareKeys);
      assertEquals(expected, keys);
      for (String k : SampleDataset.WEIRD_KEYS) {
        try (OSSObject o = c.getObject("data", k);
            InputStream in = o.getObjectContent()) {
          assertEquals("name: " + k + "\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
      }
    }
  }

  @Test
  void putDeleteAndMarkers() throws IOException {
    for (OSS c : clients()) {
      String key = "up/" + (c == v1 ? "v1" : "v4") + "/a b+%ü.txt";
      c.putObject("data", key, new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)));
      try (OSSObject o = c.getObject("data", key)) {
        assertEquals(
            "hello", new String(o.getObjectContent().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals("5D41402ABC4B2A76B9719D911017C592", o.getObjectMetadata().getETag());
      }
      String dir = "up/" + (c == v1 ? "v1" : "v4") + "/";
      c.putObject("data", dir, new ByteArrayInputStream(new byte[0]));
      List<String> keys =
          c
              .listObjectsV2(new ListObjectsV2Request("data").withPrefix(dir))
              .getObjectSummaries()
              .stream()
              .map(OSSObjectSummary::getKey)
              .toList();
      assertEquals(List.of(dir, key), keys);
      c.deleteObject("data", key);
      assertFalse(c.doesObjectExist("data", key));
      assertTrue(c.doesObjectExist("data", dir));
      c.deleteObject("data", dir);
      assertFalse(c.doesObjectExist("data", dir));
    }
  }

  @Test
  void wrongSecretAndWrongKeyAre403() {
    for (SignVersion v : SignVersion.values()) {
      if (v == SignVersion.V2) {
        continue;
      }
      OSS bad = client(AK, "wrong", v);
      OSS unknown = client("nobody", SK, v);
      try {
        OSSException e =
            assertThrows(OSSException.class, () -> bad.getObjectMetadata("data", "README.txt"));
        assertEquals("SignatureDoesNotMatch", e.getErrorCode());
        e = assertThrows(OSSException.class, () -> bad.listObjectsV2("data"));
        assertEquals("SignatureDoesNotMatch", e.getErrorCode());
        e = assertThrows(OSSException.class, () -> unknown.listObjectsV2("data"));
        assertEquals("InvalidAccessKeyId", e.getErrorCode());
      } finally {
        bad.shutdown();
        unknown.shutdown();
      }
    }
  }

  @Test
  void missingBucketIsNoSuchBucket() {
    for (OSS c : clients()) {
      OSSException e = assertThrows(OSSException.class, () -> c.listObjectsV2("nope-bucket"));
      assertEquals("NoSuchBucket", e.getErrorCode());
      e = assertThrows(OSSException.class, () -> c.getObject("nope-bucket", "x"));
      assertEquals("NoSuchBucket", e.getErrorCode());
    }
  }

  static OSS client(String ak, String sk, SignVersion v) {
    ClientBuilderConfiguration conf = new ClientBuilderConfiguration();
    conf.setSignatureVersion(v);
    conf.setMaxErrorRetry(0);
    return OSSClientBuilder.create()
        .endpoint(server.endpoint())
        .credentialsProvider(new com.aliyun.oss.common.auth.DefaultCredentialProvider(ak, sk))
        .clientConfiguration(conf)
        .region("cn-hangzhou")
        .build();
  }
}
