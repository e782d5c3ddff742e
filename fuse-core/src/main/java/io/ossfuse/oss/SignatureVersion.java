package io.ossfuse.oss;

/** OSS request signing: V1 (HMAC-SHA1, the default) or V4 (HMAC-SHA256, needs a region). */
public enum SignatureVersion {
  V1,
  V4
}
