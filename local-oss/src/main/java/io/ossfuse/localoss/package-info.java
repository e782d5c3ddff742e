/**
 * local-oss: an OSS-compatible HTTP endpoint over local directories, for tests, {@code ossfuse demo},
 * {@code ossfuse local-oss} and benchmarks. Built on the JDK's {@code com.sun.net.httpserver}; no runtime
 * dependency besides slf4j.
 *
 * <p>Public surface: {@link io.ossfuse.localoss.LocalOssServer} (builder, lifecycle, endpoint, keys),
 * {@link io.ossfuse.localoss.Faults} (injected 5xx, dropped connections, cut bodies, stalls, latency),
 * {@link io.ossfuse.localoss.Counters} (requests per {@link io.ossfuse.localoss.OssOperation}, bytes
 * sent per key), {@link io.ossfuse.localoss.ETagMode} and {@link io.ossfuse.localoss.SampleDataset}.
 *
 * <p>Known differences from OSS: one access key per server; object metadata (Content-Type, x-oss-meta-*)
 * is not stored; no multipart upload, copy, ACL or versioning; a key that is both an object and a prefix
 * ("a" and "a/b") cannot exist on a filesystem and is refused with 409; with {@code encoding-type=url}
 * the SDK does not decode keys, so clients must (as with real OSS).
 */
package io.ossfuse.localoss;
