package io.ossfuse.localoss;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ListObjects (V1) and ListObjectsV2 answers. V2 continuation tokens are the last returned key or
 * common prefix in base64url, so they survive URL encoding unchanged; with {@code
 * encoding-type=url} every key, prefix, delimiter and marker in the answer is percent-encoded (the
 * SDK leaves decoding to the caller). No xmlns on ListBucketResult: the SDK's parser finds nothing
 * when one is present.
 */
final class ListBucketResponse {
  static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  private ListBucketResponse() {}

  /** The ListBucketResult XML (V1, or V2 with list-type=2) for the query parameters {@code p}. */
  static String render(BucketStore store, Map<String, String> p, ETags etags) {
    boolean v2 = "2".equals(p.get("list-type"));
    String prefix = nullToEmpty(p.get("prefix"));
    String delimiter = emptyToNull(p.get("delimiter"));
    String encodingType = emptyToNull(p.get("encoding-type"));
    if (encodingType != null && !encodingType.equals("url")) {
      throw OssError.badRequest("InvalidArgument", "encoding-type must be 'url'.");
    }
    boolean url = encodingType != null;
    int maxKeys = 100;
    if (p.get("max-keys") != null && !p.get("max-keys").isEmpty()) {
      try {
        maxKeys = Integer.parseInt(p.get("max-keys"));
      } catch (NumberFormatException e) {
        throw OssError.badRequest(
            "InvalidArgument", "max-keys must be an integer between 0 and 1000.");
      }
      if (maxKeys < 0 || maxKeys > 1000) {
        throw OssError.badRequest(
            "InvalidArgument", "max-keys must be an integer between 0 and 1000.");
      }
    }
    String startAfter = emptyToNull(p.get(v2 ? "start-after" : "marker"));
    String token = v2 ? emptyToNull(p.get("continuation-token")) : null;
    String marker = token != null ? Codec.decodeToken(token) : startAfter;
    if (token != null && startAfter != null && Codec.compareKeys(startAfter, marker) > 0) {
      marker = startAfter;
    }

    List<ObjectInfo> contents = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    boolean[] truncated = {false};
    String[] last = {null};
    final int limit = maxKeys;
    store.list(
        prefix,
        delimiter,
        marker,
        new BucketStore.Sink() {
          @Override
          public boolean object(ObjectInfo info) {
            if (contents.size() + prefixes.size() >= limit) {
              truncated[0] = true;
              return false;
            }
            contents.add(info);
            last[0] = info.key();
            return true;
          }

          @Override
          public boolean commonPrefix(String cp) {
            if (contents.size() + prefixes.size() >= limit) {
              truncated[0] = true;
              return false;
            }
            prefixes.add(cp);
            last[0] = cp;
            return true;
          }
        });

    Xml x = new Xml();
    x.open("ListBucketResult").el("Name", store.name).el("Prefix", enc(prefix, url));
    if (v2) {
      x.el("StartAfter", startAfter == null ? null : enc(startAfter, url));
      x.el("ContinuationToken", token);
    } else {
      x.el("Marker", enc(nullToEmpty(startAfter), url));
    }
    x.el("MaxKeys", maxKeys).el("Delimiter", enc(nullToEmpty(delimiter), url));
    if (url) {
      x.el("EncodingType", "url");
    }
    x.el("IsTruncated", truncated[0]);
    if (truncated[0] && last[0] != null) {
      if (v2) {
        x.el("NextContinuationToken", Codec.encodeToken(last[0]));
      } else {
        x.el("NextMarker", enc(last[0], url));
      }
    }
    if (v2) {
      x.el("KeyCount", contents.size() + prefixes.size());
    }
    boolean owner = !v2 || "true".equals(p.get("fetch-owner"));
    for (ObjectInfo o : contents) {
      x.open("Contents")
          .el("Key", enc(o.key(), url))
          .el("LastModified", ISO_MILLIS.format(Instant.ofEpochMilli(o.mtimeMillis())))
          .el("ETag", "\"" + etags.etagOf(o) + "\"")
          .el("Type", "Normal")
          .el("Size", o.size())
          .el("StorageClass", "Standard");
      if (owner) {
        x.open("Owner").el("ID", "localoss").el("DisplayName", "localoss").close("Owner");
      }
      x.close("Contents");
    }
    for (String cp : prefixes) {
      x.open("CommonPrefixes").el("Prefix", enc(cp, url)).close("CommonPrefixes");
    }
    x.close("ListBucketResult");
    return x.toString();
  }

  private static String enc(String s, boolean url) {
    return url ? Codec.urlEncode(s, true) : s;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
