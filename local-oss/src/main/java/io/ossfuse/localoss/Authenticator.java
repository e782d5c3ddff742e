package io.ossfuse.localoss;

import com.sun.net.httpserver.Headers;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies OSS request signatures the way aliyun-sdk-oss 3.18.1 computes them: V1 ({@code
 * Authorization: OSS ak:sig}, HMAC-SHA1), V4 ({@code OSS4-HMAC-SHA256 Credential=...}) and the
 * presigned-URL forms of both. Throws an {@link OssError} 403 on any mismatch; the error carries
 * the string to sign (never the secret) so a client author can see what differed.
 *
 * <p>About 500 lines: the four forms (V1 and V4, each as a header and presigned) share the
 * canonical resource, the signed-header rules and the error reporting; a class per form would copy
 * those.
 */
final class Authenticator {
  /** Sub-resources that V1 signs (SDK {@code SignParameters.SIGNED_PARAMTERS}). */
  private static final Set<String> V1_SIGNED_PARAMS =
      Set.of(
          "accessPoint",
          "accessPointPolicy",
          "acl",
          "append",
          "asyncFetch",
          "bucketArchiveDirectRead",
          "bucketInfo",
          "callback",
          "callback-var",
          "cname",
          "comp",
          "continuation-token",
          "cors",
          "delete",
          "encryption",
          "endTime",
          "httpsConfig",
          "img",
          "inventory",
          "inventoryId",
          "lifecycle",
          "live",
          "location",
          "logging",
          "metaQuery",
          "objectMeta",
          "partNumber",
          "policy",
          "policyStatus",
          "position",
          "processConfiguration",
          "publicAccessBlock",
          "qos",
          "qosInfo",
          "redundancyTransition",
          "referer",
          "regionList",
          "replication",
          "replicationLocation",
          "replicationProgress",
          "requestPayment",
          "resourceGroup",
          "response-cache-control",
          "response-content-disposition",
          "response-content-encoding",
          "response-content-language",
          "response-content-type",
          "response-expires",
          "restore",
          "security-token",
          "sequential",
          "startTime",
          "stat",
          "status",
          "style",
          "styleName",
          "symlink",
          "tagging",
          "transferAcceleration",
          "udf",
          "udfApplication",
          "udfApplicationLog",
          "udfImage",
          "udfImageDesc",
          "udfName",
          "uploadId",
          "uploads",
          "versionId",
          "versioning",
          "versions",
          "vip",
          "vod",
          "vpcip",
          "website",
          "worm",
          "wormExtend",
          "wormId",
          "x-oss-ac-forward-allow",
          "x-oss-ac-source-ip",
          "x-oss-ac-subnet-mask",
          "x-oss-ac-vpc-id",
          "x-oss-async-process",
          "x-oss-delete",
          "x-oss-dir",
          "x-oss-process",
          "x-oss-redundancy-transition-taskid",
          "x-oss-request-payer",
          "x-oss-target-redundancy-type",
          "x-oss-traffic-limit",
          "x-oss-write-get-object-response");

  private static final String V4_ALGORITHM = "OSS4-HMAC-SHA256";
  private static final String V4_TERMINATOR = "aliyun_v4_request";
  private static final DateTimeFormatter ISO_BASIC =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

  private final String accessKeyId;
  private final byte[] secret;
  private final String secretString;
  private final String securityToken;
  private final boolean anonymousRead;
  private final Clock clock;

  /** A random key pair, for a server started without credentials. */
  record KeyPair(String accessKeyId, String accessKeySecret) {
    static KeyPair random() {
      SecureRandom r = new SecureRandom();
      byte[] id = new byte[8];
      byte[] secret = new byte[24];
      r.nextBytes(id);
      r.nextBytes(secret);
      return new KeyPair(
          "LOCAL" + HexFormat.of().withUpperCase().formatHex(id),
          Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    }
  }

  Authenticator(
      String accessKeyId,
      String accessKeySecret,
      String securityToken,
      boolean anonymousRead,
      Clock clock) {
    this.accessKeyId = accessKeyId;
    this.secretString = accessKeySecret;
    this.secret = accessKeySecret.getBytes(StandardCharsets.UTF_8);
    this.securityToken = securityToken;
    this.anonymousRead = anonymousRead;
    this.clock = clock;
  }

  /** A request as the signers see it: decoded bucket/key and decoded query parameters. */
  record SignedRequest(
      String method, String bucket, String key, Map<String, String> params, Headers headers) {
    String header(String name) {
      return headers.getFirst(name);
    }

    /** The SDK's resource path: "/", "/bucket/" or "/bucket/key". */
    String resourcePath() {
      return "/" + (bucket != null ? bucket + "/" : "") + (key != null ? key : "");
    }
  }

  void authenticate(SignedRequest r, boolean readOnly) {
    String auth = r.header("Authorization");
    if (auth != null) {
      auth = auth.trim();
      if (auth.startsWith("OSS4-HMAC-SHA256 ")) {
        verifyV4Header(r, auth.substring(V4_ALGORITHM.length() + 1));
      } else if (auth.startsWith("OSS ")) {
        verifyV1Header(r, auth.substring(4));
      } else {
        throw OssError.accessDenied(
            "local-oss verifies signature V1 (OSS) and V4 (OSS4-HMAC-SHA256)"
                + " only; the Authorization header used another scheme.");
      }
      return;
    }
    if (r.params.containsKey("x-oss-signature")) {
      verifyV4Query(r);
    } else if (r.params.containsKey("Signature") || r.params.containsKey("OSSAccessKeyId")) {
      verifyV1Query(r);
    } else if (!(anonymousRead && readOnly)) {
      throw OssError.accessDenied(
          "You have no right to access this object because of bucket acl."
              + " (local-oss: the request carries no signature)");
    }
  }

  // ---- V1 ----

  private void verifyV1Header(SignedRequest r, String credential) {
    int colon = credential.lastIndexOf(':');
    if (colon <= 0) {
      throw OssError.badRequest("InvalidArgument", "Authorization header is invalid.");
    }
    checkAccessKey(credential.substring(0, colon).trim());
    checkToken(r.header("x-oss-security-token"));
    String stringToSign = v1StringToSign(r, r.header("Date"));
    compareV1(stringToSign, credential.substring(colon + 1).trim());
  }

  private void verifyV1Query(SignedRequest r) {
    checkAccessKey(nonNull(r.params.get("OSSAccessKeyId")));
    String expires = nonNull(r.params.get("Expires"));
    try {
      if (Long.parseLong(expires) < clock.instant().getEpochSecond()) {
        throw OssError.accessDenied("Request has expired.");
      }
    } catch (NumberFormatException e) {
      throw OssError.accessDenied("Invalid Expires: " + expires);
    }
    checkToken(r.params.get("security-token"));
    compareV1(v1StringToSign(r, expires), nonNull(r.params.get("Signature")));
  }

  private void compareV1(String stringToSign, String given) {
    String expected = Base64.getEncoder().encodeToString(hmac("HmacSHA1", secret, stringToSign));
    if (!MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8))) {
      throw new OssError(
          403,
          "SignatureDoesNotMatch",
          "The request signature we calculated does not match"
              + " the signature you provided. Check your key and signing method.",
          "<StringToSign>" + Xml.escape(stringToSign) + "</StringToSign>");
    }
  }

  static String v1StringToSign(SignedRequest r, String date) {
    TreeMap<String, String> signed = new TreeMap<>();
    for (Map.Entry<String, List<String>> h : r.headers.entrySet()) {
      String k = h.getKey().toLowerCase(Locale.ROOT);
      if (h.getValue().isEmpty()) {
        continue;
      }
      if (k.equals("content-type") || k.equals("content-md5") || k.startsWith("x-oss-")) {
        signed.put(k, h.getValue().get(0).trim());
      }
    }
    signed.putIfAbsent("content-type", "");
    signed.putIfAbsent("content-md5", "");
    if (date != null) {
      signed.put("date", date.trim());
    }
    StringBuilder sb = new StringBuilder(r.method).append('\n');
    for (Map.Entry<String, String> e : signed.entrySet()) {
      if (e.getKey().startsWith("x-oss-")) {
        sb.append(e.getKey()).append(':').append(e.getValue());
      } else {
        sb.append(e.getValue());
      }
      sb.append('\n');
    }
    sb.append(r.resourcePath());
    String[] names = r.params.keySet().toArray(new String[0]);
    Arrays.sort(names);
    char sep = '?';
    for (String n : names) {
      if (!V1_SIGNED_PARAMS.contains(n)) {
        continue;
      }
      sb.append(sep).append(n);
      String v = r.params.get(n);
      if (v != null) {
        sb.append('=').append(v);
      }
      sep = '&';
    }
    return sb.toString();
  }

  // ---- V4 ----

  private void verifyV4Header(SignedRequest r, String fields) {
    String credential = null;
    String additional = "";
    String signature = null;
    for (String part : fields.split(",")) {
      String p = part.trim();
      if (p.startsWith("Credential=")) {
        credential = p.substring("Credential=".length());
      } else if (p.startsWith("AdditionalHeaders=")) {
        additional = p.substring("AdditionalHeaders=".length());
      } else if (p.startsWith("Signature=")) {
        signature = p.substring("Signature=".length());
      }
    }
    if (credential == null || signature == null) {
      throw OssError.badRequest(
          "InvalidArgument",
          "Authorization header is invalid: Credential and" + " Signature are required.");
    }
    String dateTime = r.header("x-oss-date");
    if (dateTime == null) {
      throw OssError.accessDenied("x-oss-date header is required for OSS4-HMAC-SHA256.");
    }
    checkToken(r.header("x-oss-security-token"));
    String payload = r.header("x-oss-content-sha256");
    verifyV4(
        r,
        credential,
        additional,
        dateTime,
        signature,
        r.params,
        payload == null || payload.isEmpty() ? "UNSIGNED-PAYLOAD" : payload);
  }

  private void verifyV4Query(SignedRequest r) {
    String credential = nonNull(r.params.get("x-oss-credential"));
    String dateTime = nonNull(r.params.get("x-oss-date"));
    String expires = nonNull(r.params.get("x-oss-expires"));
    try {
      Instant signedAt = LocalDateTime.parse(dateTime, ISO_BASIC).toInstant(ZoneOffset.UTC);
      if (signedAt.plusSeconds(Long.parseLong(expires)).isBefore(clock.instant())) {
        throw OssError.accessDenied("Request has expired.");
      }
    } catch (DateTimeParseException | NumberFormatException e) {
      throw OssError.accessDenied("Invalid x-oss-date or x-oss-expires.");
    }
    checkToken(r.params.get("x-oss-security-token"));
    TreeMap<String, String> params = new TreeMap<>(r.params);
    params.remove("x-oss-signature");
    String additional = r.params.get("x-oss-additional-headers");
    verifyV4(
        r,
        credential,
        additional == null ? "" : additional,
        dateTime,
        r.params.get("x-oss-signature"),
        params,
        "UNSIGNED-PAYLOAD");
  }

  private void verifyV4(
      SignedRequest r,
      String credential,
      String additional,
      String dateTime,
      String signature,
      Map<String, String> params,
      String payloadHash) {
    // Credential = ak/yyyyMMdd/region/product/aliyun_v4_request
    String[] c = credential.split("/");
    if (c.length != 5 || !V4_TERMINATOR.equals(c[4])) {
      throw OssError.badRequest(
          "InvalidArgument",
          "Credential is invalid: expected" + " AccessKeyId/date/region/oss/aliyun_v4_request.");
    }
    checkAccessKey(c[0]);
    String scope = c[1] + "/" + c[2] + "/" + c[3] + "/" + V4_TERMINATOR;

    Set<String> additionalHeaders = new TreeSet<>();
    for (String h : additional.split(";")) {
      if (!h.isBlank()) {
        additionalHeaders.add(h.trim().toLowerCase(Locale.ROOT));
      }
    }
    String canonical = v4CanonicalRequest(r, params, additionalHeaders, payloadHash);
    String stringToSign =
        V4_ALGORITHM + "\n" + dateTime + "\n" + scope + "\n" + Codec.hexLower(sha256(canonical));
    byte[] key =
        hmac("HmacSHA256", ("aliyun_v4" + secretString).getBytes(StandardCharsets.UTF_8), c[1]);
    key = hmac("HmacSHA256", key, c[2]);
    key = hmac("HmacSHA256", key, c[3]);
    key = hmac("HmacSHA256", key, V4_TERMINATOR);
    String expected = Codec.hexLower(hmac("HmacSHA256", key, stringToSign));
    if (signature == null
        || !MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.UTF_8),
            signature.trim().getBytes(StandardCharsets.UTF_8))) {
      throw new OssError(
          403,
          "SignatureDoesNotMatch",
          "The request signature we calculated does not match"
              + " the signature you provided. Check your key and signing method.",
          "<StringToSign>"
              + Xml.escape(stringToSign)
              + "</StringToSign><CanonicalRequest>"
              + Xml.escape(canonical)
              + "</CanonicalRequest>");
    }
  }

  static String v4CanonicalRequest(
      SignedRequest r,
      Map<String, String> params,
      Set<String> additionalHeaders,
      String payloadHash) {
    StringBuilder sb = new StringBuilder();
    sb.append(r.method).append('\n');
    sb.append(Codec.urlEncode(r.resourcePath(), true)).append('\n');

    TreeMap<String, String> query = new TreeMap<>();
    for (Map.Entry<String, String> p : params.entrySet()) {
      query.put(
          Codec.urlEncode(p.getKey().trim(), false),
          p.getValue() == null ? "" : Codec.urlEncode(p.getValue().trim(), false));
    }
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, String> q : query.entrySet()) {
      parts.add(q.getValue().isEmpty() ? q.getKey() : q.getKey() + "=" + q.getValue());
    }
    sb.append(String.join("&", parts)).append('\n');

    TreeMap<String, String> headers = new TreeMap<>();
    Set<String> extra = new TreeSet<>();
    for (Map.Entry<String, List<String>> h : r.headers.entrySet()) {
      String k = h.getKey().toLowerCase(Locale.ROOT);
      if (h.getValue().isEmpty()) {
        continue;
      }
      boolean isDefault =
          k.equals("content-type") || k.equals("content-md5") || k.startsWith("x-oss-");
      if (isDefault || additionalHeaders.contains(k)) {
        headers.put(k, h.getValue().get(0).trim());
      }
      if (!isDefault && additionalHeaders.contains(k)) {
        extra.add(k);
      }
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      sb.append(h.getKey()).append(':').append(h.getValue()).append('\n');
    }
    sb.append('\n');
    sb.append(String.join(";", extra)).append('\n');
    sb.append(payloadHash);
    return sb.toString();
  }

  // ---- shared ----

  private void checkAccessKey(String given) {
    if (!MessageDigest.isEqual(
        accessKeyId.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8))) {
      throw new OssError(
          403,
          "InvalidAccessKeyId",
          "The OSS Access Key Id you provided does not exist in our records.",
          "<OSSAccessKeyId>" + Xml.escape(given) + "</OSSAccessKeyId>");
    }
  }

  private void checkToken(String given) {
    if (securityToken == null && given == null) {
      return;
    }
    if (securityToken == null
        || given == null
        || !MessageDigest.isEqual(
            securityToken.getBytes(StandardCharsets.UTF_8),
            given.getBytes(StandardCharsets.UTF_8))) {
      throw new OssError(
          403,
          "InvalidSecurityToken",
          given == null
              ? "The request needs a security token (x-oss-security-token): this endpoint runs with STS."
              : "The security token you provided is invalid.");
    }
  }

  private static String nonNull(String v) {
    if (v == null) {
      throw OssError.accessDenied("The presigned URL is missing a signature parameter.");
    }
    return v;
  }

  private static byte[] hmac(String alg, byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance(alg);
      mac.init(new SecretKeySpec(key, alg));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(alg, e);
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
