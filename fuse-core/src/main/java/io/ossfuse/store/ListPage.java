package io.ossfuse.store;

import java.util.List;

/**
 * One page of a delimited listing: objects directly under the prefix, the "sub-directories" (common
 * prefixes, each ending in the delimiter), and the token for the next page (null on the last).
 */
public record ListPage(List<ObjectMeta> objects, List<String> commonPrefixes, String nextToken) {
  public ListPage {
    objects = List.copyOf(objects);
    commonPrefixes = List.copyOf(commonPrefixes);
  }

  public boolean truncated() {
    return nextToken != null;
  }
}
