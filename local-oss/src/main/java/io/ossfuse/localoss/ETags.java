package io.ossfuse.localoss;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * ETags per file version. Hashes are cached by (size, mtime, inode) so a 1 GiB file is read once; a
 * concurrent second request for the same version waits for the first hash instead of hashing again.
 */
final class ETags {
  static final String EMPTY_MD5 = "D41D8CD98F00B204E9800998ECF8427E";

  private record Version(long size, long mtimeNanos, Object fileKey) {}

  private record Entry(Version version, CompletableFuture<String> etag) {}

  private final ETagMode mode;
  private final ConcurrentHashMap<Path, Entry> cache = new ConcurrentHashMap<>();

  ETags(ETagMode mode) {
    this.mode = mode;
  }

  String etagOf(ObjectInfo info) {
    if (info.isMarker() || info.size() == 0) {
      return EMPTY_MD5;
    }
    Version v = new Version(info.size(), info.mtimeNanos(), info.fileKey());
    if (mode == ETagMode.FILE_IDENTITY
        || (mode == ETagMode.AUTO && info.size() > ETagMode.AUTO_MD5_LIMIT)) {
      return identity(v);
    }
    Path file = info.file();
    CompletableFuture<String> mine = new CompletableFuture<>();
    Entry fresh = new Entry(v, mine);
    Entry e = cache.compute(file, (p, old) -> old != null && old.version.equals(v) ? old : fresh);
    if (e == fresh) {
      try {
        mine.complete(md5(file));
      } catch (RuntimeException ex) {
        cache.remove(file, fresh);
        mine.completeExceptionally(ex);
      }
    }
    try {
      return e.etag.get();
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while hashing " + file, ex);
    } catch (ExecutionException ex) {
      throw ex.getCause() instanceof RuntimeException re
          ? re
          : new IllegalStateException(ex.getCause());
    }
  }

  /** Records a hash computed while the file was written, so a PUT does not read the file back. */
  void remember(ObjectInfo info, String md5Hex) {
    if (usesMd5(info) && !info.isMarker()) {
      Version v = new Version(info.size(), info.mtimeNanos(), info.fileKey());
      cache.put(info.file(), new Entry(v, CompletableFuture.completedFuture(md5Hex)));
    }
  }

  void forget(Path file) {
    cache.remove(file);
  }

  String etagForPut(ObjectInfo info, String md5Hex) {
    return usesMd5(info) ? md5Hex : etagOf(info);
  }

  private boolean usesMd5(ObjectInfo info) {
    return mode == ETagMode.CONTENT_MD5
        || (mode == ETagMode.AUTO && info.size() <= ETagMode.AUTO_MD5_LIMIT);
  }

  private static String identity(Version v) {
    MessageDigest md = newMd5();
    md.update((v.size + "/" + v.mtimeNanos + "/" + v.fileKey).getBytes(StandardCharsets.UTF_8));
    return Codec.hexUpper(md.digest());
  }

  static MessageDigest newMd5() {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String md5(Path file) {
    MessageDigest md = newMd5();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate((int) Math.max(1, Math.min(1 << 20, ch.size())));
      while (ch.read(buf) >= 0) {
        buf.flip();
        md.update(buf);
        buf.clear();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot hash " + file, e);
    }
    return Codec.hexUpper(md.digest());
  }
}
