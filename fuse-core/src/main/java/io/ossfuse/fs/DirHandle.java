package io.ossfuse.fs;

import io.ossfuse.store.ListPage;
import io.ossfuse.store.ObjectMeta;
import io.ossfuse.store.ObjectStore;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A snapshot of one directory listing, fetched page by page as readdir asks for more. Offsets are
 * positions in the snapshot, so they stay valid across readdir calls on the same handle even if the
 * bucket changes meanwhile. Keys that cannot be served ({@link KeyNames}: names empty, ".", "..",
 * over 255 bytes; keys not UTF-8 or over 1,023 bytes) are skipped, with one log line per listing;
 * when a file and a sub-directory share a name, the entry that comes first wins (listing order puts
 * the object "a" before the prefix "a/").
 *
 * <p>With an executor, each page's successor is requested as soon as the page is in (one page
 * ahead): the endpoint builds it while the kernel takes this one, so a large directory costs one
 * listing round trip less per page. Pages are still taken in order, so the snapshot is the same.
 */
final class DirHandle {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DirHandle.class);

  record Child(String name, Node node) {}

  final String path;
  private final String prefix;
  private final ObjectStore store;
  private final int pageSize;
  private final Instant dirMtime;
  private final List<Child> children = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  private String token;
  private boolean done;
  private int skipped;
  private String skippedExample;

  private final java.util.function.Consumer<List<Child>> onComplete;

  /** Runs the request of the next page ahead of need; null: pages are requested when needed. */
  private final java.util.concurrent.Executor ahead;

  /** The page after the last one taken, requested ahead; null when none is. */
  private java.util.concurrent.CompletableFuture<ListPage> next;

  DirHandle(
      String path,
      String prefix,
      ObjectStore store,
      int pageSize,
      Instant dirMtime,
      java.util.function.Consumer<List<Child>> onComplete) {
    this(path, prefix, store, pageSize, dirMtime, onComplete, null);
  }

  DirHandle(
      String path,
      String prefix,
      ObjectStore store,
      int pageSize,
      Instant dirMtime,
      java.util.function.Consumer<List<Child>> onComplete,
      java.util.concurrent.Executor ahead) {
    this.ahead = ahead;
    this.path = path;
    this.prefix = prefix;
    this.store = store;
    this.pageSize = pageSize;
    this.dirMtime = dirMtime;
    this.onComplete = onComplete;
  }

  /** A handle over a listing fetched earlier (complete, immutable). */
  static DirHandle cached(String path, List<Child> children) {
    DirHandle h = new DirHandle(path, null, null, 1, null, null);
    h.children.addAll(children);
    h.done = true;
    return h;
  }

  /** The child at {@code index}, loading pages as needed; null past the end. */
  synchronized Child child(int index, java.util.function.Consumer<Child> onLoaded)
      throws IOException {
    while (index >= children.size() && !done) fetch(onLoaded);
    return index < children.size() ? children.get(index) : null;
  }

  private void fetch(java.util.function.Consumer<Child> onLoaded) throws IOException {
    ListPage page = takeNext();
    // Objects and prefixes come back as two sorted lists; merge them so order is stable by name.
    List<Child> batch = new ArrayList<>(page.objects().size() + page.commonPrefixes().size());
    for (ObjectMeta m : page.objects()) {
      if (m.key().equals(prefix)) continue; // this directory's own marker object
      String name = m.key().substring(prefix.length());
      if (name.endsWith("/")) continue; // cannot happen with delimiter "/", but never a file name
      batch.add(new Child(name, Node.file(m.key(), m.size(), m.etag(), m.lastModified())));
    }
    for (String p : page.commonPrefixes()) {
      String name = p.substring(prefix.length(), p.length() - 1);
      batch.add(new Child(name, Node.dir(p, dirMtime)));
    }
    batch.sort((a, b) -> a.node().key().compareTo(b.node().key()));
    for (Child c : batch) {
      String why = KeyNames.invalidName(c.name());
      if (why == null) why = KeyNames.unservableKey(c.node().key());
      if (why != null) {
        if (skipped++ == 0) skippedExample = KeyNames.printable(c.node().key()) + " (" + why + ")";
        continue;
      }
      if (!names.add(c.name())) continue;
      children.add(c);
      onLoaded.accept(c);
    }
    token = page.nextToken();
    done = token == null;
    if (!done && ahead != null) requestAhead(token);
    if (done && skipped > 0) {
      LOG.warn(
          "listing {}: skipped {} key(s) that cannot be file names, e.g. {}; see docs/SEMANTICS.md, Names",
          prefix.isEmpty() ? "the bucket root" : KeyNames.printable(prefix),
          skipped,
          skippedExample);
    }
    if (done && onComplete != null) onComplete.accept(List.copyOf(children));
  }

  private void requestAhead(String t) {
    try {
      next =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  return store.list(prefix, t, pageSize);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              },
              ahead);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      next = null; // closing: the page is requested when needed
    }
  }

  /** The page at {@link #token}: the one requested ahead if that worked, else requested now. */
  private ListPage takeNext() throws IOException {
    java.util.concurrent.CompletableFuture<ListPage> f = next;
    next = null;
    if (f != null) {
      try {
        return f.join();
      } catch (java.util.concurrent.CompletionException
          | java.util.concurrent.CancellationException e) {
        // asked again in the reader's thread: its failure, if any, is the one the reader gets
        LOG.debug("listing {} ahead failed: {}", prefix, e.getMessage());
      }
    }
    return store.list(prefix, token, pageSize);
  }

  static boolean validName(String name) {
    return KeyNames.invalidName(name) == null;
  }
}
