package io.ossfuse.oss;

import static org.junit.jupiter.api.Assertions.*;

import com.sun.net.httpserver.HttpServer;
import io.ossfuse.fs.Errno;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.ObjectFileSystem;
import io.ossfuse.store.ObjectMeta;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A key that is not UTF-8, as an OSS endpoint lists it with {@code encoding-type=url} ("%FF"),
 * through the real SDK. local-oss cannot store such a key (it keeps objects as files named by the
 * key, and Java decodes such names lossily), so a minimal endpoint answers the listing here; every
 * other request is 404.
 */
class NonUtf8ListingTest {
  private HttpServer http;
  private final List<String> queries = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext(
        "/",
        ex -> {
          String q = ex.getRequestURI().getQuery();
          synchronized (queries) {
            queries.add(
                ex.getRequestMethod()
                    + " "
                    + ex.getRequestURI().getPath()
                    + (q == null ? "" : "?" + q));
          }
          if (!"GET".equals(ex.getRequestMethod()) || q == null || !q.contains("list-type=2")) {
            ex.getResponseHeaders().add("x-oss-request-id", "1");
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
          }
          boolean root = !q.contains("prefix=dir/");
          StringBuilder x =
              new StringBuilder(
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult><Name>bkt</Name>")
                  .append("<Prefix>")
                  .append(root ? "" : "dir/")
                  .append("</Prefix><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>")
                  .append("<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>");
          if (root) {
            x.append(
                "<KeyCount>1</KeyCount><CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>");
          } else if (q.contains("prefix=dir/&") || q.endsWith("prefix=dir/")) {
            x.append("<KeyCount>3</KeyCount>");
            for (String k : List.of("dir/bad%FF", "dir/ok%EF%BF%BD", "dir/plain")) {
              x.append("<Contents><Key>")
                  .append(k)
                  .append("</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>")
                  .append(
                      "<ETag>\"0123456789ABCDEF0123456789ABCDEF\"</ETag><Type>Normal</Type><Size>1</Size>")
                  .append("<StorageClass>Standard</StorageClass></Contents>");
            }
          } else {
            x.append("<KeyCount>0</KeyCount>");
          }
          byte[] body = x.append("</ListBucketResult>").toString().getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/xml");
          ex.getResponseHeaders().add("x-oss-request-id", "1");
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    http.start();
  }

  @AfterEach
  void stop() {
    http.stop(0);
  }

  private OssObjectStore store() {
    return OssObjectStore.open(
        OssConfig.of(
            "http://127.0.0.1:" + http.getAddress().getPort(),
            new OssUri("bkt", ""),
            OssCredentials.fixed("ak", "sk", null),
            SignatureVersion.V1,
            null));
  }

  @Test
  void aKeyThatIsNotUtf8IsListedEscaped() throws IOException {
    try (OssObjectStore s = store()) {
      List<String> keys =
          s.list("dir/", null, 1000).objects().stream().map(ObjectMeta::key).toList();
      assertEquals(
          List.of("dir/bad\uDCFF", "dir/ok\uFFFD", "dir/plain"),
          keys,
          "the bad byte is kept apart from U+FFFD");
    }
    assertTrue(
        queries.stream().anyMatch(q -> q.contains("encoding-type=url")),
        "the SDK asks for URL-encoded keys: " + queries);
  }

  @Test
  void theFilesystemNeitherListsNorFindsIt() throws Exception {
    try (OssObjectStore s = store();
        ObjectFileSystem fs = ObjectFileSystem.builder(s).build()) {
      long dir = fs.lookup(ObjectFileSystem.ROOT_INO, "dir").ino();
      long fh = fs.opendir(dir);
      List<String> names = new ArrayList<>();
      fs.readdir(dir, fh, 0, e -> names.add(e.name()));
      assertEquals(List.of(".", "..", "ok\uFFFD", "plain"), names);
      assertEquals(
          Errno.ENOENT,
          assertThrows(FsException.class, () -> fs.lookup(dir, "bad\uFFFD")).errno(),
          "what the kernel sends for that name is another key");
    }
  }
}
