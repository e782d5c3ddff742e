package io.ossfuse.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A complete listing answers lookups of its names, present or absent, by hash. */
final class DirListingTest {
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void answersEveryNameOfTenThousandAndTheAbsentOnes() {
    List<DirHandle.Child> children = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      String name = String.format("f%05d", i);
      children.add(new DirHandle.Child(name, Node.file("d/" + name, i, "e" + i, T)));
    }
    children.add(new DirHandle.Child("sub", Node.dir("d/sub/", T)));
    DirListing l = new DirListing(children);
    assertEquals(10_001, l.size());
    assertEquals(children, l.children, "in listing order, for the next opendir");
    for (int i = 0; i < 10_000; i++) {
      assertEquals(i, l.find(String.format("f%05d", i)).orElseThrow().size());
    }
    assertTrue(l.find("sub").orElseThrow().isDir());
    assertEquals(Optional.empty(), l.find("f10000"));
    assertEquals(Optional.empty(), l.find(""));
  }
}
