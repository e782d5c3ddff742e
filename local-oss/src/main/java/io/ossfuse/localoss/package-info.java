/**
 * local-oss: an OSS-compatible HTTP endpoint over local directories, for tests, {@code ossfuse
 * demo}, {@code ossfuse local-oss} and benchmarks. Built on the JDK's {@code
 * com.sun.net.httpserver}; no runtime dependency besides slf4j.
 *
 * <p>Public surface: {@link io.ossfuse.localoss.LocalOssServer} (builder, lifecycle, endpoint,
 * keys), {@link io.ossfuse.localoss.Faults} (injected 5xx, dropped connections, cut bodies, stalls,
 * latency), {@link io.ossfuse.localoss.Counters} (requests per {@link
 * io.ossfuse.localoss.OssOperation}, bytes sent per key), {@link io.ossfuse.localoss.ETagMode} and
 * {@link io.ossfuse.localoss.SampleDataset}.
 *
 * <p>A request passes the JDK server's filters in order: {@code FirstByteLatencyFilter} and {@code
 * BandwidthCapFilter} (when a {@link io.ossfuse.localoss.RemoteProfile} is set), {@code
 * ErrorAnswerFilter} (request id; answers every {@code OssError} thrown after it), {@code
 * InjectedLatencyFilter}, {@code RoutingFilter} (bucket, key, parameters: a {@code Route}), {@code
 * AuthFilter}, {@code FaultInjectionFilter} (names and counts the operation, applies {@code
 * Faults}); then {@code OperationDispatcher} finds the bucket in the {@code BucketRegistry} and
 * hands the request to its operation's handler ({@code GetObjectHandler} for GET and HEAD, {@code
 * PutObjectHandler}, {@code BucketHandler}, {@code ListBucketsHandler}, listing and delete).
 *
 * <p>Known differences from OSS: one access key per server; object metadata (Content-Type,
 * x-oss-meta-*) is not stored; no multipart upload, copy, ACL or versioning; a key that is both an
 * object and a prefix ("a" and "a/b") cannot exist on a filesystem and is refused with 409; with
 * {@code encoding-type=url} the SDK does not decode keys, so clients must (as with real OSS).
 */
package io.ossfuse.localoss;
