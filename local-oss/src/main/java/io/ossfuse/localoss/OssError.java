package io.ossfuse.localoss;

/** An OSS error answer: HTTP status, OSS error code and message, rendered as the OSS error XML. */
final class OssError extends RuntimeException {
  final int status;
  final String code;

  /** Extra XML elements (already escaped), e.g. StringToSign for signature mismatches. */
  final String extraXml;

  OssError(int status, String code, String message, String extraXml) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.extraXml = extraXml == null ? "" : extraXml;
  }

  OssError(int status, String code, String message) {
    this(status, code, message, null);
  }

  static OssError badRequest(String code, String message) {
    return new OssError(400, code, message);
  }

  static OssError accessDenied(String message) {
    return new OssError(403, "AccessDenied", message);
  }

  static OssError noSuchBucket() {
    return new OssError(404, "NoSuchBucket", "The specified bucket does not exist.");
  }

  static OssError noSuchKey(String key) {
    return new OssError(
        404,
        "NoSuchKey",
        "The specified key does not exist.",
        "<Key>" + Xml.escape(key) + "</Key>");
  }

  static OssError notImplemented(String what) {
    return new OssError(501, "NotImplemented", "local-oss does not implement " + what + ".");
  }

  String toXml(String requestId, String hostId) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n"
        + "  <Code>"
        + Xml.escape(code)
        + "</Code>\n"
        + "  <Message>"
        + Xml.escape(getMessage())
        + "</Message>\n"
        + "  <RequestId>"
        + requestId
        + "</RequestId>\n"
        + "  <HostId>"
        + Xml.escape(hostId)
        + "</HostId>\n"
        + (extraXml.isEmpty() ? "" : "  " + extraXml + "\n")
        + "</Error>\n";
  }
}
