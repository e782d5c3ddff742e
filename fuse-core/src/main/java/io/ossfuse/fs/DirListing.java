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

  /** Position in {@link #children} by name. */
  private final Map<String, Integer> byName;

  /** How readers open the children (the fetch ahead of an in-order reader). */
  final OpenOrder opens = new OpenOrder();

  DirListing(List<DirHandle.Child> children) {
    this.children = List.copyOf(children);
    Map<String, Integer> m = new HashMap<>(Math.max(16, children.size() * 4 / 3 + 1));
    for (int i = 0; i < this.children.size(); i++) m.putIfAbsent(this.children.get(i).name(), i);
    this.byName = m;
  }

  /** The child named {@code name}, or empty: the listing is complete, so absent means absent. */
  Optional<Node> find(String name) {
    int i = indexOf(name);
    return i < 0 ? Optional.empty() : Optional.of(children.get(i).node());
  }

  /** The position of the child named {@code name} in listing order, or -1. */
  int indexOf(String name) {
    Integer i = byName.get(name);
    return i == null ? -1 : i;
  }

  int size() {
    return children.size();
  }
}
