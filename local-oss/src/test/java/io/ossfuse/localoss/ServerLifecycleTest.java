package io.ossfuse.localoss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.aliyun.oss.OSS;
import com.aliyun.oss.OSSClientBuilder;
import com.aliyun.oss.model.ListObjectsV2Request;
import com.aliyun.oss.model.OSSObjectSummary;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerLifecycleTest {
  @Test
  void mappedBucketWithoutRootKeepsStateOutsideTheData(@TempDir Path data) throws IOException {
    Files.writeString(data.resolve("f.txt"), "f");
    LocalOssServer s =
        LocalOssServer.builder().bucket("my-data", data).credentials("a", "b").build();
    assertThrows(IllegalStateException.class, s::port, "not started yet");
    s.start();
    OSS c = new OSSClientBuilder().build(s.endpoint(), "a", "b");
    try {
      assertThrows(IllegalStateException.class, s::start);
      assertEquals(List.of("my-data"), s.buckets());
      assertEquals(data, s.bucketDir("my-data"));
      Files.createDirectories(data.resolve("sub"));
      Files.writeString(data.resolve("sub/g"), "g");
      c.putObject("my-data", "sub/", new ByteArrayInputStream(new byte[0]));
      c.putObject("my-data", "up.bin", new ByteArrayInputStream(new byte[] {1, 2, 3}));
      List<String> keys =
          c.listObjectsV2(new ListObjectsV2Request("my-data")).getObjectSummaries().stream()
              .map(OSSObjectSummary::getKey)
              .toList();
      assertEquals(List.of("f.txt", "sub/", "sub/g", "up.bin"), keys);
      try (var files = Files.list(data)) {
        assertEquals(
            List.of("f.txt", "sub", "up.bin"),
            files.map(p -> p.getFileName().toString()).sorted().toList(),
            "no server state inside the served directory");
      }
    } finally {
      c.shutdown();
      s.close();
    }
    s.close(); // idempotent
  }

  @Test
  void putBucketCreatesADirectoryUnderTheRoot(@TempDir Path root) throws IOException {
    try (LocalOssServer s =
        LocalOssServer.builder().root(root).credentials("a", "b").build().start()) {
      OSS c = new OSSClientBuilder().build(s.endpoint(), "a", "b");
      try {
        assertFalse(c.doesBucketExist("fresh-bucket"));
        c.createBucket("fresh-bucket");
        assertTrue(Files.isDirectory(root.resolve("fresh-bucket")));
        assertTrue(c.doesBucketExist("fresh-bucket"));
        assertEquals(
            List.of("fresh-bucket"), c.listBuckets().stream().map(b -> b.getName()).toList());
      } finally {
        c.shutdown();
      }
    }
  }

  @Test
  void sampleDatasetIsDeterministic(@TempDir Path a, @TempDir Path b) throws IOException {
    SampleDataset x = SampleDataset.generate(a, 1_000_003, 12);
    SampleDataset y = SampleDataset.generate(b, 1_000_003, 12);
    assertEquals(x.fileKeys(), y.fileKeys());
    assertEquals(1 + 1 + 12 + 2 + SampleDataset.WEIRD_KEYS.size(), x.fileKeys().size());
    for (String k : x.fileKeys()) {
      assertEquals(SampleDataset.sha256Hex(a.resolve(k)), SampleDataset.sha256Hex(b.resolve(k)), k);
    }
    byte[] large = Files.readAllBytes(a.resolve(SampleDataset.LARGE_FILE_KEY));
    assertEquals(1_000_003, large.length);
    for (long off : new long[] {0, 1, 7, 8, 65_537, 999_999, 1_000_002}) {
      assertEquals(SampleDataset.byteAt(off), large[(int) off], "offset " + off);
    }
    assertEquals(0, Files.size(a.resolve("small/file-0000.bin")));
    assertTrue(Files.isDirectory(a.resolve("empty-dir")));
  }
}
