package io.ossfuse.localoss;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/** GetObject (whole, ranged, conditional) and HeadObject. */
final class GetObjectHandler implements OperationHandler {
  private static final int MAX_BUFFER = 1 << 20;
  private final ETags etags;
  private final Counters counters;
  private final ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[MAX_BUFFER]);

  GetObjectHandler(ETags etags, Counters counters) {
    this.etags = etags;
    this.counters = counters;
  }

  @Override
  public void handle(HttpExchange ex, OssRequest request, BucketStore store) throws IOException {
    if (request.op != OssOperation.GET) {
      serve(ex, request, store);
      return;
    }
    counters.getStarted();
    try {
      serve(ex, request, store);
    } finally {
      counters.getEnded();
    }
  }

  private void serve(HttpExchange ex, OssRequest request, BucketStore store) throws IOException {
    Route r = request.route;
    r.requireNoObjectSubresource();
    boolean head = request.op == OssOperation.HEAD;
    for (int attempt = 0; ; attempt++) {
      ObjectInfo info = store.stat(r.key());
      if (info == null) {
        throw OssError.noSuchKey(r.key());
      }
      if (info.isMarker() || info.size() == 0 || head) {
        answer(ex, r, info, null, head, request.bodyFault);
        return;
      }
      FileChannel ch;
      try {
        ch = FileChannel.open(info.file(), StandardOpenOption.READ);
      } catch (IOException e) {
        if (attempt < 3) {
          continue; // replaced or deleted between stat and open
        }
        throw OssError.noSuchKey(r.key());
      }
      try (ch) {
        ObjectInfo again = store.stat(r.key());
        if (again == null || !again.equals(info)) {
          if (attempt < 3) {
            continue; // a PUT replaced the file; serve a consistent version
          }
        }
        answer(ex, r, info, ch, false, request.bodyFault);
        return;
      }
    }
  }

  private void answer(
      HttpExchange ex, Route r, ObjectInfo info, FileChannel ch, boolean head, Faults.Action fault)
      throws IOException {
    String etag = etags.etagOf(info);
    Headers out = ex.getResponseHeaders();
    String lastModified = Answers.HTTP_DATE.format(Instant.ofEpochMilli(info.mtimeMillis()));
    out.set("ETag", "\"" + etag + "\"");
    out.set("Last-Modified", lastModified);
    out.set("x-oss-object-type", "Normal");
    out.set("x-oss-storage-class", "Standard");
    out.set("Accept-Ranges", "bytes");
    String contentType = r.params().get("response-content-type");
    out.set("Content-Type", contentType != null ? contentType : "application/octet-stream");

    Headers in = ex.getRequestHeaders();
    int cond = Preconditions.evaluate(in, etag, info.mtimeMillis());
    if (cond == 412) {
      throw new OssError(
          412,
          "PreconditionFailed",
          "At least one of the pre-conditions you specified did" + " not hold.",
          "<Condition>If-Match</Condition>");
    }
    if (cond == 304) {
      out.remove("Content-Type");
      ex.sendResponseHeaders(304, -1);
      return;
    }
    long size = info.size();
    ByteRange range;
    try {
      range = ByteRange.parse(in.getFirst("Range"), size);
    } catch (ByteRange.Unsatisfiable e) {
      out.remove("ETag");
      out.remove("Last-Modified");
      out.set("Content-Range", "bytes */" + size);
      throw new OssError(
          416,
          "InvalidRange",
          "The requested range cannot be satisfied.",
          "<ActualObjectSize>" + size + "</ActualObjectSize>");
    }
    long first = range == null ? 0 : range.first();
    long length = range == null ? size : range.length();
    int status = range == null ? 200 : 206;
    if (range != null) {
      out.set("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + size);
    }
    if (head) {
      out.set("Content-Length", Long.toString(size));
      ex.sendResponseHeaders(200, -1);
      return;
    }
    Answers.sendBody(
        ex, status, length, fault, (o, off, len) -> copy(ch, first + off, len, o, r.key()));
  }

  private void copy(FileChannel ch, long position, long len, OutputStream out, String key)
      throws IOException {
    byte[] buf = buffers.get();
    ByteBuffer bb = ByteBuffer.wrap(buf);
    long pos = position;
    long remaining = len;
    while (remaining > 0) {
      bb.clear().limit((int) Math.min(buf.length, remaining));
      int n = ch.read(bb, pos);
      if (n < 0) {
        throw new AbortConnection("file shrank while being served");
      }
      out.write(buf, 0, n);
      counters.sent(key, n);
      pos += n;
      remaining -= n;
    }
  }
}
