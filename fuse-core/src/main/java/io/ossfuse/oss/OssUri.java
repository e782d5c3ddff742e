package io.ossfuse.oss;

import java.util.regex.Pattern;

/**
 * A parsed {@code oss://bucket[/dir]} source. {@link #prefix} is the object-key prefix of the
 * directory: empty for the bucket root, otherwise the dir path ending in "/".
 */
public record OssUri(String bucket, String prefix) {
  // OSS bucket naming: 3-63 chars, lowercase letters, digits and '-', not starting/ending with '-'.
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]");

  public OssUri {
    if (!BUCKET.matcher(bucket).matches()) {
      throw new IllegalArgumentException(
          "invalid bucket name '"
              + bucket
              + "': use 3-63 lowercase letters, digits or '-', starting and ending with a letter or digit");
    }
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      throw new IllegalArgumentException(
          "prefix must be empty or end with '/', got '" + prefix + "'");
    }
  }

  /**
   * Parses {@code oss://bucket}, {@code oss://bucket/}, {@code oss://bucket/a/b} or {@code
   * oss://bucket/a/b/}.
   */
  public static OssUri parse(String uri) {
    String hint = ": expected oss://bucket or oss://bucket/dir";
    if (uri == null || uri.isBlank())
      throw new IllegalArgumentException("missing OSS source" + hint);
    if (!uri.startsWith("oss://")) {
      throw new IllegalArgumentException("malformed OSS URL '" + uri + "'" + hint);
    }
    String rest = uri.substring("oss://".length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String dir = slash < 0 ? "" : rest.substring(slash + 1);
    if (bucket.isEmpty())
      throw new IllegalArgumentException(
          "malformed OSS URL '" + uri + "': the bucket name is empty" + hint);
    if (rest.contains("?") || rest.contains("#")) {
      throw new IllegalArgumentException(
          "malformed OSS URL '" + uri + "': query strings and fragments are not allowed" + hint);
    }
    if (!BUCKET.matcher(bucket).matches()) {
      throw new IllegalArgumentException(
          "malformed OSS URL '"
              + uri
              + "': invalid bucket name '"
              + bucket
              + "' (3-63 lowercase letters, digits or '-', starting and ending with a letter or digit)");
    }
    if (dir.endsWith("/")) dir = dir.substring(0, dir.length() - 1);
    if (!dir.isEmpty()) {
      for (String seg : dir.split("/", -1)) {
        if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
          throw new IllegalArgumentException(
              "malformed OSS URL '" + uri + "': empty, '.' or '..' path segment in the directory");
        }
      }
    }
    return new OssUri(bucket, dir.isEmpty() ? "" : dir + "/");
  }

  @Override
  public String toString() {
    return "oss://" + bucket + "/" + prefix;
  }
}
