package io.ossfuse.localoss;

/** What a request asked for, as counted by {@link Counters} and matched by {@link Faults}. */
public enum OssOperation {
  /** GetObject (whole or ranged). */
  GET,
  /** HeadObject or GetObjectMeta. */
  HEAD,
  /** ListObjects or ListObjectsV2. */
  LIST,
  PUT,
  DELETE,
  /**
   * Bucket-level requests other than listing: GetBucketInfo, GetBucketLocation, GetBucketAcl, HEAD
   * bucket.
   */
  BUCKET,
  /** Service-level requests (ListBuckets). */
  SERVICE
}
