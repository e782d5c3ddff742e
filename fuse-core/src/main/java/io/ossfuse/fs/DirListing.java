package io.ossfuse.fs;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A complete listing of one directory, kept for the metadata TTL: its children in order (the next
 * opendir) and by name, so a lookup the listing answers costs a hash lookup, not a scan of up to a
 * directory's size for every name looked up in it.
 */
final class DirListing {
  final List<DirHandle.Child> children;
  private final Map<String, Node> byName;

  DirListing(List<DirHandle.Child> children) {
    this.children = List.copyOf(children);
    Map<String, Node> m = new HashMap<>(Math.max(16, children.size() * 4 / 3 + 1));
    for (DirHandle.Child c : this.children) m.putIfAbsent(c.name(), c.node());
    this.byName = m;
  }

  /** The child named {@code name}, or empty: the listing is complete, so absent means absent. */
  Optional<Node> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  int size() {
    return children.size();
  }
}
