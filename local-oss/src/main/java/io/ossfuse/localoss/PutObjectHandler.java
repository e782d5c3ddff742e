package io.ossfuse.localoss;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Base64;

/** PutObject, with Content-MD5 checked before the new version becomes visible. */
final class PutObjectHandler implements OperationHandler {
  private final ETags etags;

  PutObjectHandler(ETags etags) {
    this.etags = etags;
  }

  @Override
  public void handle(HttpExchange ex, OssRequest request, BucketStore store) throws IOException {
    Route r = request.route;
    Headers in = ex.getRequestHeaders();
    if (in.getFirst("x-oss-copy-source") != null) {
      throw OssError.notImplemented("CopyObject");
    }
    r.requireNoObjectSubresource();
    String contentMd5 = in.getFirst("Content-MD5");
    InputStream body = ex.getRequestBody();
    BucketStore.PutResult put;
    if (contentMd5 != null) {
      MessageDigest md = ETags.newMd5();
      // Verify before the new version becomes visible (small test uploads: buffering is fine).
      byte[] data;
      try (DigestInputStream din = new DigestInputStream(body, md)) {
        data = din.readAllBytes();
      }
      String got = Base64.getEncoder().encodeToString(md.digest());
      if (!got.equals(contentMd5.trim())) {
        throw OssError.badRequest("InvalidDigest", "The Content-MD5 you specified is not valid.");
      }
      put = store.put(r.key(), new ByteArrayInputStream(data));
    } else {
      put = store.put(r.key(), body);
    }
    ObjectInfo info = put.info();
    if (info != null) {
      etags.remember(info, put.md5Hex());
    }
    String etag = info == null ? put.md5Hex() : etags.etagForPut(info, put.md5Hex());
    ex.getResponseHeaders().set("ETag", "\"" + etag + "\"");
    ex.sendResponseHeaders(200, -1);
  }
}
