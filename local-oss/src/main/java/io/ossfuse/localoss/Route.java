package io.ossfuse.localoss;

import com.sun.net.httpserver.HttpExchange;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where a request goes: bucket (from the path, or the host name for virtual-host style), key and
 * query parameters, and which {@link OssOperation} that is.
 */
record Route(String method, String bucket, String key, Map<String, String> params) {
  static final Pattern BUCKET_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]");

  /** Query parameters that select a listing variant rather than a sub-resource. */
  private static final Set<String> LIST_PARAMS =
      Set.of(
          "list-type",
          "prefix",
          "delimiter",
          "marker",
          "max-keys",
          "continuation-token",
          "start-after",
          "encoding-type",
          "fetch-owner");

  /**
   * Object sub-resources the SDK adds to plain GET/HEAD requests and that do not change the answer.
   */
  static final Set<String> HARMLESS_OBJECT_PARAMS =
      Set.of(
          "response-content-type",
          "response-content-language",
          "response-expires",
          "response-cache-control",
          "response-content-disposition",
          "response-content-encoding",
          "x-oss-traffic-limit",
          "objectMeta",
          "versionId",
          "security-token",
          "OSSAccessKeyId",
          "Expires",
          "Signature",
          "x-oss-signature-version",
          "x-oss-credential",
          "x-oss-date",
          "x-oss-expires",
          "x-oss-signature",
          "x-oss-additional-headers",
          "x-oss-security-token");

  /** Parses the request line and Host header; {@code hostText} is the server's own address. */
  static Route of(HttpExchange ex, String hostText) {
    String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
    String rawPath = ex.getRequestURI().getRawPath();
    String path;
    Map<String, String> params;
    try {
      path = Codec.percentDecode(rawPath == null ? "/" : rawPath, false);
      params = parseQuery(ex.getRequestURI().getRawQuery());
    } catch (IllegalArgumentException e) {
      throw OssError.badRequest("InvalidURI", "Could not parse the request URI: " + e.getMessage());
    }
    String bucket = virtualHostBucket(ex.getRequestHeaders().getFirst("Host"), hostText);
    String key;
    if (bucket != null) {
      key = path.length() > 1 ? path.substring(1) : null;
    } else {
      String p = path.startsWith("/") ? path.substring(1) : path;
      if (p.isEmpty()) {
        return new Route(method, null, null, params);
      }
      int slash = p.indexOf('/');
      bucket = slash < 0 ? p : p.substring(0, slash);
      key = slash < 0 || slash == p.length() - 1 ? null : p.substring(slash + 1);
    }
    return new Route(method, bucket, key, params);
  }

  /** "bucket.127.0.0.1:port" or "bucket.localhost:port" selects the bucket by host name. */
  private static String virtualHostBucket(String host, String hostText) {
    if (host == null) {
      return null;
    }
    String h = host.trim();
    if (h.startsWith("[")) {
      return null;
    }
    int colon = h.lastIndexOf(':');
    if (colon >= 0) {
      h = h.substring(0, colon);
    }
    int dot = h.indexOf('.');
    if (dot <= 0) {
      return null;
    }
    String rest = h.substring(dot + 1);
    String candidate = h.substring(0, dot);
    if ((rest.equals(hostText) || rest.equals("localhost"))
        && BUCKET_NAME.matcher(candidate).matches()) {
      return candidate;
    }
    return null;
  }

  static Map<String, String> parseQuery(String raw) {
    Map<String, String> params = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String part : raw.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      if (eq < 0) {
        params.put(Codec.percentDecode(part, true), null);
      } else {
        params.put(
            Codec.percentDecode(part.substring(0, eq), true),
            Codec.percentDecode(part.substring(eq + 1), true));
      }
    }
    return params;
  }

  boolean isHead() {
    return method.equals("HEAD");
  }

  /** The operation this request asks for, or an OSS error for one local-oss does not serve. */
  OssOperation operation() {
    if (bucket == null) {
      if (method.equals("GET")) {
        return OssOperation.SERVICE;
      }
      throw new OssError(
          405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    }
    if (!BUCKET_NAME.matcher(bucket).matches()) {
      throw OssError.badRequest("InvalidBucketName", "The specified bucket is not valid.");
    }
    if (key == null) {
      return switch (method) {
        case "GET" -> isBucketSubresource() ? OssOperation.BUCKET : OssOperation.LIST;
        case "HEAD", "PUT" -> OssOperation.BUCKET;
        default -> throw OssError.notImplemented(method + " on a bucket");
      };
    }
    if (key.length() > 1023) {
      throw OssError.badRequest("InvalidObjectName", "The object name is longer than 1023 bytes.");
    }
    return switch (method) {
      case "GET" -> OssOperation.GET;
      case "HEAD" -> OssOperation.HEAD;
      case "PUT" -> OssOperation.PUT;
      case "DELETE" -> OssOperation.DELETE;
      default -> throw OssError.notImplemented(method + " on an object");
    };
  }

  private boolean isBucketSubresource() {
    for (String p : params.keySet()) {
      if (!LIST_PARAMS.contains(p) && !HARMLESS_OBJECT_PARAMS.contains(p)) {
        return true;
      }
    }
    return false;
  }

  /** Object GET/HEAD/PUT serve no sub-resource beyond the harmless ones. */
  void requireNoObjectSubresource() {
    for (String p : params.keySet()) {
      if (!HARMLESS_OBJECT_PARAMS.contains(p)) {
        throw OssError.notImplemented("the object sub-resource '" + p + "'");
      }
    }
  }
}
