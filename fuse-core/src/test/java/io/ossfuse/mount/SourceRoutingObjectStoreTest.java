package io.ossfuse.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ossfuse.fs.DirEntry;
import io.ossfuse.fs.FileAttr;
import io.ossfuse.fs.FsException;
import io.ossfuse.fs.ObjectFileSystem;
import io.ossfuse.fs.ReadOnlyFileSystem;
import io.ossfuse.store.ListPage;
import io.ossfuse.store.MemoryObjectStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two sources as one tree, through the real filesystem:
 *
 * <pre>
 *   /images/      → bucket a, prefix "train/"  (cat.jpg, sub/dog.jpg)
 *   /labels/      → bucket b, the whole bucket  (l.txt)
 *   /empty/       → bucket c, prefix "none/"    (nothing: still a directory)
 * </pre>
 */
class SourceRoutingObjectStoreTest {
  private final MemoryObjectStore a =
      new MemoryObjectStore("a")
          .put("train/cat.jpg", "meow")
          .put("train/sub/dog.jpg", "woof")
          .put("other/x", "not under the prefix");
  private final MemoryObjectStore b = new MemoryObjectStore("b").put("l.txt", "labels");
  private final MemoryObjectStore c = new MemoryObjectStore("c").put("elsewhere", "x");
  private final SourceRoutingObjectStore store =
      new SourceRoutingObjectStore(
          List.of(
              new SourceRoutingObjectStore.Route("images", a, "train/"),
              new SourceRoutingObjectStore.Route("labels", b, ""),
              new SourceRoutingObjectStore.Route("empty", c, "none/")));

  @Test
  void theRootListsTheSourcesAndEachListsItsOwnPrefix() throws Exception {
    ListPage root = store.list("", null, 1000);
    assertEquals(List.of("empty/", "images/", "labels/"), root.commonPrefixes());
    assertTrue(root.objects().isEmpty());
    ListPage images = store.list("images/", null, 1000);
    assertEquals(List.of("images/cat.jpg"), images.objects().stream().map(m -> m.key()).toList());
    assertEquals(List.of("images/sub/"), images.commonPrefixes());
    assertEquals("labels/l.txt", store.list("labels/", null, 1000).objects().get(0).key());
    assertEquals(
        List.of("empty/"),
        store.list("empty/", null, 1000).objects().stream().map(m -> m.key()).toList(),
        "an empty source is still a directory: its own marker");
    assertTrue(store.list("nosuch/", null, 1000).objects().isEmpty());
    assertTrue(store.head("images").isEmpty(), "a source name is no object");
    assertEquals(4, store.head("images/cat.jpg").orElseThrow().size());
    assertTrue(store.head("images/other/x").isEmpty(), "nothing outside the source's prefix");
    assertTrue(store.bucket().startsWith("sources:"));
  }

  @Test
  void theFilesystemServesBothSourcesUnderTheirNames() throws Exception {
    try (ObjectFileSystem fs = ObjectFileSystem.builder(store).prefix("").build()) {
      List<String> names = new ArrayList<>();
      long fh = fs.opendir(ReadOnlyFileSystem.ROOT_INO);
      fs.readdir(ReadOnlyFileSystem.ROOT_INO, fh, 0, (DirEntry e) -> names.add(e.name()) || true);
      fs.releasedir(ReadOnlyFileSystem.ROOT_INO, fh);
      assertTrue(names.containsAll(List.of("images", "labels", "empty")), names.toString());
      FileAttr images = fs.lookup(ReadOnlyFileSystem.ROOT_INO, "images");
      FileAttr dog = fs.lookup(fs.lookup(images.ino(), "sub").ino(), "dog.jpg");
      assertEquals("woof", read(fs, dog.ino(), 4));
      FileAttr labels = fs.lookup(ReadOnlyFileSystem.ROOT_INO, "labels");
      assertEquals("labels", read(fs, fs.lookup(labels.ino(), "l.txt").ino(), 6));
      fs.lookup(ReadOnlyFileSystem.ROOT_INO, "empty");
      FsException none =
          assertThrows(FsException.class, () -> fs.lookup(ReadOnlyFileSystem.ROOT_INO, "other"));
      assertFalse(none.getMessage().isEmpty());
    }
  }

  private static String read(ObjectFileSystem fs, long ino, int size) throws Exception {
    long fh = fs.open(ino, 0).fh();
    ByteBuffer buf = ByteBuffer.allocate(size);
    int n = fs.read(ino, fh, 0, buf);
    fs.release(ino, fh);
    return new String(buf.array(), 0, n, StandardCharsets.UTF_8);
  }
}
