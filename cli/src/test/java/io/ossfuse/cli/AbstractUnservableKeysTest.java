package io.ossfuse.cli;

import static org.junit.jupiter.api.Assertions.*;

import io.ossfuse.localoss.LocalOssServer;
import io.ossfuse.mount.ServedMount;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Keys that cannot be served (issue 10), end to end over local-oss: neither listed nor found, no
 * EIO. local-oss keeps objects as files, so a key that is not UTF-8 cannot be stored there (Java
 * decodes such file names lossily; local-oss does not list them): OssObjectStoreTest covers such a
 * key as a real endpoint sends it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractUnservableKeysTest {
  static final String SEG = "s".repeat(250);
  static final String DEEP =
      "odd/" + SEG + "/" + SEG + "/" + SEG + "/" + SEG; // keys below: 1,008 bytes + name

  private Path work;
  private LocalOssServer server;
  private Path mnt;
  private ServedMount mount;

  protected abstract String transport();

  @BeforeAll
  void mountIt() throws Exception {
    work = Files.createTempDirectory("ossfuse-names-");
    server = LocalOssServer.builder().root(work.resolve("oss")).bucket("names").build().start();
    Path bucket = server.bucketDir("names");
    Files.createDirectories(bucket.resolve(DEEP));
    Files.writeString(bucket.resolve(DEEP + "/fits.txt"), "1,016 bytes of key");
    Files.writeString(bucket.resolve(DEEP + "/too-long-name.txt"), "1,025 bytes of key");
    Files.writeString(bucket.resolve("odd/ok\uFFFD.txt"), "a real U+FFFD");
    Process p =
        new ProcessBuilder(
                "sh",
                "-c",
                "printf x > \"$0/$(printf 'bad\\377')\"",
                bucket.resolve("odd").toString())
            .start();
    assertEquals(0, p.waitFor(), new String(p.getErrorStream().readAllBytes()));
    mnt = Files.createDirectories(work.resolve("mnt"));
    mount =
        MountFixtures.mount(
            server, "names", mnt, MountFixtures.creds(server, work), "--transport", transport());
  }

  @AfterAll
  void unmountIt() throws Exception {
    MountFixtures.tearDown(mount, mnt, server, work);
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void unservableKeysAreNeitherListedNorFound() throws Exception {
    assertEquals(List.of("ok\uFFFD.txt", SEG), names(mnt.resolve("odd")));
    assertEquals("a real U+FFFD", Files.readString(mnt.resolve("odd/ok\uFFFD.txt")));
    assertFalse(Files.exists(mnt.resolve("odd/bad\uFFFD")));
    Path deep = mnt.resolve(DEEP);
    assertEquals(List.of("fits.txt"), names(deep), "a key over 1,023 bytes is not listed");
    assertEquals("1,016 bytes of key", Files.readString(deep.resolve("fits.txt")));
    assertThrows(
        NoSuchFileException.class,
        () -> Files.readString(deep.resolve("too-long-name.txt")),
        "ENOENT, not EIO");
  }
}
