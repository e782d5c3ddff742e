package io.ossfuse.localoss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listing order and roll-up without HTTP. Fixture:
 *
 * <pre>
 * a-b.txt            (sorts before "a/..." because '-' < '/')
 * a/1.txt
 * a/x/deep.txt
 * a/y/               (empty dir = marker "a/y/")
 * a0.txt             ('0' > '/')
 * z/q-1, z/q-2, z/r
 * u/\uFFFD.txt, u/😀.txt   (code point order: U+FFFD < U+1F600, unlike UTF-16 order)
 * </pre>
 */
class BucketStoreTest {
  @TempDir Path root;
  BucketStore store;

  @BeforeEach
  void fixture() throws IOException {
    Path b = root.resolve("bkt");
    for (String f :
        List.of(
            "a-b.txt",
            "a/1.txt",
            "a/x/deep.txt",
            "a0.txt",
            "z/q-1",
            "z/q-2",
            "z/r",
            "u/\uFFFD.txt",
            "u/😀.txt")) {
      Path p = b.resolve(f);
      Files.createDirectories(p.getParent());
      Files.writeString(p, f);
    }
    Files.createDirectories(b.resolve("a/y"));
    store =
        new BucketStore(
            "bkt", b, root.resolve(".localoss/markers/bkt"), root.resolve(".localoss/tmp"));
  }

  /** Lists like a client paging with max keys, following the last entry as the marker. */
  List<String> list(String prefix, String delimiter, String startAfter, int max) {
    List<String> out = new ArrayList<>();
    String marker = startAfter;
    while (true) {
      List<String> page = new ArrayList<>();
      store.list(
          prefix,
          delimiter,
          marker,
          new BucketStore.Sink() {
            @Override
            public boolean object(ObjectInfo info) {
              page.add(info.key());
              return page.size() < max;
            }

            @Override
            public boolean commonPrefix(String p) {
              page.add("P:" + p);
              return page.size() < max;
            }
          });
      out.addAll(page);
      if (page.size() < max) {
        return out;
      }
      String last = page.get(page.size() - 1);
      marker = last.startsWith("P:") ? last.substring(2) : last;
    }
  }

  @Test
  void fullListingIsInCodePointOrderWithMarkers() {
    List<String> all =
        List.of(
            "a-b.txt",
            "a/1.txt",
            "a/x/deep.txt",
            "a/y/",
            "a0.txt",
            "u/\uFFFD.txt",
            "u/😀.txt",
            "z/q-1",
            "z/q-2",
            "z/r");
    assertEquals(all, list("", null, null, 1000));
    for (int page = 1; page <= 4; page++) {
      assertEquals(all, list("", null, null, page), "page size " + page);
    }
  }

  @Test
  void delimiterRollsUpAndPagingContinuesPastAPrefix() {
    List<String> top = List.of("a-b.txt", "P:a/", "a0.txt", "P:u/", "P:z/");
    assertEquals(top, list("", "/", null, 1000));
    assertEquals(top, list("", "/", null, 1));
    assertEquals(List.of("a/1.txt", "P:a/x/", "P:a/y/"), list("a/", "/", null, 1));
    assertEquals(List.of("P:z/q-", "z/r"), list("z/", "-", null, 1));
    assertEquals(List.of("a-b.txt", "P:a/", "a0.txt"), list("a", "/", null, 2));
  }

  @Test
  void startAfterSkipsWholeSubtrees() {
    assertEquals(List.of("a/y/", "a0.txt"), list("a", null, "a/x/deep.txt", 1000));
    assertEquals(List.of("P:u/", "P:z/"), list("", "/", "a0.txt", 1000));
    assertEquals(List.of("P:z/"), list("", "/", "u/", 1000));
  }

  @Test
  void explicitMarkersOnNonEmptyDirsAndPruningOnDelete() throws IOException {
    assertNull(store.stat("a/"), "a non-empty dir without an explicit marker is only a prefix");
    store.put("a/", new ByteArrayInputStream(new byte[0]));
    assertNotNull(store.stat("a/"));
    assertEquals(List.of("a/", "a/1.txt"), list("a/", "/", null, 1000).subList(0, 2));

    store.put("n/m/obj", new ByteArrayInputStream("x".getBytes()));
    assertEquals(List.of("n/m/obj"), list("n/", null, null, 1000));
    store.delete("n/m/obj");
    assertEquals(
        List.of(), list("n/", null, null, 1000), "implicit dirs vanish with their last object");
    assertFalse(Files.exists(root.resolve("bkt/n")));

    store.put("k/", new ByteArrayInputStream(new byte[0]));
    store.put("k/v", new ByteArrayInputStream("v".getBytes()));
    store.delete("k/v");
    assertEquals(List.of("k/"), list("k/", null, null, 1000), "an explicit marker keeps its dir");
    store.delete("k/");
    assertNull(store.stat("k/"));
    assertFalse(Files.exists(root.resolve("bkt/k")));
  }

  @Test
  void unstorableKeysAreRefusedAndAbsent() {
    for (String bad : List.of("a//b", "./x", "a/../b", "/abs")) {
      OssError e =
          assertThrows(OssError.class, () -> store.put(bad, new ByteArrayInputStream(new byte[0])));
      assertEquals("InvalidObjectName", e.code);
      assertNull(store.stat(bad));
    }
    OssError e =
        assertThrows(OssError.class, () -> store.put("a", new ByteArrayInputStream(new byte[1])));
    assertEquals(409, e.status, "a file cannot take the name of a directory");
    assertTrue(store.stat("a/1.txt").size() > 0);
  }

  /**
   * Listings reuse a settled directory's names: a file overwritten in place (its directory
   * unchanged) is listed with its new size, and keys added or removed later show at once.
   */
  @Test
  void aKeptListingShowsOverwritesAdditionsAndRemovals() throws IOException {
    Path z = root.resolve("bkt/z");
    Files.setLastModifiedTime(
        z, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
    assertEquals(List.of("z/q-1", "z/q-2", "z/r"), list("z/", null, null, 2));
    Files.writeString(z.resolve("r"), "a longer body than before"); // in place: z's mtime stays
    Files.setLastModifiedTime(
        z, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
    List<Long> sizes = new ArrayList<>();
    store.list(
        "z/",
        null,
        "z/q-2",
        new BucketStore.Sink() {
          @Override
          public boolean object(ObjectInfo info) {
            sizes.add(info.size());
            return true;
          }

          @Override
          public boolean commonPrefix(String p) {
            return true;
          }
        });
    assertEquals(List.of((long) "a longer body than before".length()), sizes);
    store.put("z/q-3", new ByteArrayInputStream("3".getBytes()));
    store.delete("z/q-1");
    assertEquals(List.of("z/q-2", "z/q-3", "z/r"), list("z/", null, null, 2));
  }
}
