package io.ossfuse.localoss;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * Parses, authenticates, routes and answers one OSS request. Every answer carries x-oss-request-id;
 * errors carry the OSS error XML (or, for HEAD, the same XML base64-encoded in x-oss-err as OSS does).
 */
final class OssHandler implements HttpHandler {
    private static final Logger LOG = LoggerFactory.getLogger(OssHandler.class);
    static final Pattern BUCKET_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]");
    /** RFC 1123 with a two-digit day, as HTTP dates must be (the JDK constant prints "5 Nov"). */
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    private static final int MAX_BUFFER = 1 << 20;
    /** Query parameters that select a listing variant rather than a sub-resource. */
    private static final Set<String> LIST_PARAMS = Set.of("list-type", "prefix", "delimiter", "marker",
            "max-keys", "continuation-token", "start-after", "encoding-type", "fetch-owner");
    /** Object sub-resources the SDK adds to plain GET/HEAD requests and that do not change the answer. */
    private static final Set<String> HARMLESS_OBJECT_PARAMS = Set.of("response-content-type",
            "response-content-language", "response-expires", "response-cache-control",
            "response-content-disposition", "response-content-encoding", "x-oss-traffic-limit",
            "objectMeta", "versionId", "security-token", "OSSAccessKeyId", "Expires", "Signature",
            "x-oss-signature-version", "x-oss-credential", "x-oss-date", "x-oss-expires", "x-oss-signature",
            "x-oss-additional-headers", "x-oss-security-token");

    private final LocalOssServer.Config config;
    private final Authenticator auth;
    private final ETags etags;
    private final Faults faults;
    private final Counters counters;
    private final AtomicLong requestSeq = new AtomicLong();
    private final ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[MAX_BUFFER]);

    OssHandler(LocalOssServer.Config config, Authenticator auth, ETags etags, Faults faults, Counters counters) {
        this.config = config;
        this.auth = auth;
        this.etags = etags;
        this.faults = faults;
        this.counters = counters;
    }

    /** Thrown to make the JDK server close the connection without (finishing) an answer. */
    static final class AbortConnection extends IOException {
        AbortConnection(String why) {
            super(why, null);
        }
    }

    private record Route(String method, String bucket, String key, Map<String, String> params) {
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        String requestId = String.format("%016X%08X", config.idBase(), requestSeq.incrementAndGet());
        counters.request();
        Headers out = ex.getResponseHeaders();
        out.set("x-oss-request-id", requestId);
        out.set("Server", "AliyunOSS");
        String method = ex.getRequestMethod().toUpperCase(Locale.ROOT);
        Route route = null;
        try {
            Duration latency = faults.latency();
            if (!latency.isZero()) {
                sleep(latency);
            }
            route = route(ex, method);
            boolean readOnly = method.equals("GET") || method.equals("HEAD");
            try {
                auth.authenticate(new Authenticator.SignedRequest(method, route.bucket, route.key, route.params,
                        ex.getRequestHeaders()), readOnly);
            } catch (OssError e) {
                if (e.status == 403) {
                    counters.authFailure();
                }
                throw e;
            }
            OssOperation op = classify(route);
            counters.op(op, route.key);
            Faults.Action fault = faults.take(op, route.key);
            if (fault != null) {
                switch (fault.kind()) {
                    case STATUS -> throw new OssError(fault.status(), fault.status() == 503 ? "ServiceUnavailable"
                            : fault.status() == 500 ? "InternalError" : "InjectedFault",
                            "Fault injected by local-oss (HTTP " + fault.status() + ").");
                    case DROP -> throw new AbortConnection("injected: drop connection");
                    case DELAY -> {
                        sleep(fault.duration());
                        fault = null;
                    }
                    default -> {
                        if (method.equals("HEAD")) {
                            throw new AbortConnection("injected body fault on HEAD");
                        }
                    }
                }
            }
            dispatch(ex, op, route, fault);
        } catch (OssError e) {
            drainRequestBody(ex);
            sendError(ex, e, requestId, method.equals("HEAD"), route);
        } catch (AbortConnection e) {
            LOG.debug("{} {}: closing connection ({})", method, ex.getRequestURI(), e.getMessage());
            throw e;
        } catch (IOException e) {
            LOG.debug("{} {}: client connection ended: {}", method, ex.getRequestURI(), e.toString());
            throw e;
        } catch (RuntimeException e) {
            LOG.warn("{} {}: internal error: {}", method, ex.getRequestURI(), e.toString(), e);
            sendError(ex, new OssError(500, "InternalError", "local-oss internal error: " + e), requestId,
                    method.equals("HEAD"), route);
        } finally {
            ex.close();
        }
    }

    // ---- routing ----

    private Route route(HttpExchange ex, String method) {
        String rawPath = ex.getRequestURI().getRawPath();
        String path;
        Map<String, String> params;
        try {
            path = Codec.percentDecode(rawPath == null ? "/" : rawPath, false);
            params = parseQuery(ex.getRequestURI().getRawQuery());
        } catch (IllegalArgumentException e) {
            throw OssError.badRequest("InvalidURI", "Could not parse the request URI: " + e.getMessage());
        }
        String bucket = virtualHostBucket(ex.getRequestHeaders().getFirst("Host"));
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
    private String virtualHostBucket(String host) {
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
        if ((rest.equals(config.hostText()) || rest.equals("localhost")) && BUCKET_NAME.matcher(candidate).matches()) {
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
                params.put(Codec.percentDecode(part.substring(0, eq), true),
                        Codec.percentDecode(part.substring(eq + 1), true));
            }
        }
        return params;
    }

    private OssOperation classify(Route r) {
        if (r.bucket == null) {
            if (r.method.equals("GET")) {
                return OssOperation.SERVICE;
            }
            throw new OssError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
        }
        if (!BUCKET_NAME.matcher(r.bucket).matches()) {
            throw OssError.badRequest("InvalidBucketName", "The specified bucket is not valid.");
        }
        if (r.key == null) {
            return switch (r.method) {
                case "GET" -> isBucketSubresource(r.params) ? OssOperation.BUCKET : OssOperation.LIST;
                case "HEAD", "PUT" -> OssOperation.BUCKET;
                default -> throw OssError.notImplemented(r.method + " on a bucket");
            };
        }
        if (r.key.length() > 1023) {
            throw OssError.badRequest("InvalidObjectName", "The object name is longer than 1023 bytes.");
        }
        return switch (r.method) {
            case "GET" -> OssOperation.GET;
            case "HEAD" -> OssOperation.HEAD;
            case "PUT" -> OssOperation.PUT;
            case "DELETE" -> OssOperation.DELETE;
            default -> throw OssError.notImplemented(r.method + " on an object");
        };
    }

    private static boolean isBucketSubresource(Map<String, String> params) {
        for (String p : params.keySet()) {
            if (!LIST_PARAMS.contains(p) && !HARMLESS_OBJECT_PARAMS.contains(p)) {
                return true;
            }
        }
        return false;
    }

    // ---- dispatch ----

    private void dispatch(HttpExchange ex, OssOperation op, Route r, Faults.Action fault) throws IOException {
        if (op == OssOperation.SERVICE) {
            listBuckets(ex, fault);
            return;
        }
        if (op == OssOperation.BUCKET && r.method.equals("PUT")) {
            createBucket(ex, r);
            return;
        }
        BucketStore store = config.store(r.bucket);
        if (store == null) {
            throw OssError.noSuchBucket();
        }
        switch (op) {
            case LIST -> list(ex, store, r, fault);
            case BUCKET -> bucketInfo(ex, store, r, fault);
            case GET, HEAD -> {
                for (String p : r.params.keySet()) {
                    if (!HARMLESS_OBJECT_PARAMS.contains(p)) {
                        throw OssError.notImplemented("the object sub-resource '" + p + "'");
                    }
                }
                getObject(ex, store, r, op == OssOperation.HEAD, fault);
            }
            case PUT -> putObject(ex, store, r);
            case DELETE -> {
                store.delete(r.key);
                ex.sendResponseHeaders(204, -1);
            }
            default -> throw new IllegalStateException("unrouted " + op);
        }
    }

    private void createBucket(HttpExchange ex, Route r) throws IOException {
        if (!r.params.isEmpty()) {
            throw OssError.notImplemented("bucket sub-resource PUTs");
        }
        drainRequestBody(ex);
        config.createBucket(r.bucket);
        ex.sendResponseHeaders(200, -1);
    }

    private void bucketInfo(HttpExchange ex, BucketStore store, Route r, Faults.Action fault) throws IOException {
        if (r.method.equals("HEAD")) {
            ex.sendResponseHeaders(200, -1);
            return;
        }
        String created = ListBucketResponse.ISO_MILLIS.format(config.startedAt());
        Xml x = new Xml();
        if (r.params.containsKey("bucketInfo")) {
            x.open("BucketInfo").open("Bucket")
                    .el("AccessMonitor", "Disabled")
                    .el("CreationDate", created)
                    .el("ExtranetEndpoint", config.hostText())
                    .el("IntranetEndpoint", config.hostText())
                    .el("Location", config.location())
                    .el("StorageClass", "Standard")
                    .el("DataRedundancyType", "LRS")
                    .el("Name", store.name)
                    .el("ResourceGroupId", "rg-local")
                    .open("Owner").el("ID", "localoss").el("DisplayName", "localoss").close("Owner")
                    .open("AccessControlList").el("Grant", "private").close("AccessControlList")
                    .open("ServerSideEncryptionRule").el("SSEAlgorithm", "None").close("ServerSideEncryptionRule")
                    .open("BucketPolicy").el("LogBucket", "").el("LogPrefix", "").close("BucketPolicy")
                    .el("Comment", "local-oss")
                    .close("Bucket").close("BucketInfo");
        } else if (r.params.containsKey("location")) {
            x.el("LocationConstraint", config.location());
        } else if (r.params.containsKey("acl")) {
            x.open("AccessControlPolicy")
                    .open("Owner").el("ID", "localoss").el("DisplayName", "localoss").close("Owner")
                    .open("AccessControlList").el("Grant", "private").close("AccessControlList")
                    .close("AccessControlPolicy");
        } else if (r.params.containsKey("stat")) {
            x.open("BucketStat").el("Storage", 0).el("ObjectCount", 0).el("MultipartUploadCount", 0)
                    .close("BucketStat");
        } else {
            throw OssError.notImplemented("the bucket sub-resource(s) " + r.params.keySet());
        }
        sendXml(ex, 200, x.toString(), fault);
    }

    private void listBuckets(HttpExchange ex, Faults.Action fault) throws IOException {
        Xml x = new Xml();
        x.open("ListAllMyBucketsResult")
                .open("Owner").el("ID", "localoss").el("DisplayName", "localoss").close("Owner")
                .open("Buckets");
        String created = ListBucketResponse.ISO_MILLIS.format(config.startedAt());
        for (String name : config.bucketNames()) {
            x.open("Bucket").el("CreationDate", created).el("ExtranetEndpoint", config.hostText())
                    .el("IntranetEndpoint", config.hostText()).el("Location", config.location())
                    .el("Name", name).el("Region", config.region()).el("StorageClass", "Standard")
                    .close("Bucket");
        }
        x.close("Buckets").close("ListAllMyBucketsResult");
        sendXml(ex, 200, x.toString(), fault);
    }

    // ---- listing ----

    private void list(HttpExchange ex, BucketStore store, Route r, Faults.Action fault) throws IOException {
        sendXml(ex, 200, ListBucketResponse.render(store, r.params(), etags), fault);
    }

    // ---- objects ----

    private void getObject(HttpExchange ex, BucketStore store, Route r, boolean head, Faults.Action fault)
            throws IOException {
        for (int attempt = 0; ; attempt++) {
            ObjectInfo info = store.stat(r.key);
            if (info == null) {
                throw OssError.noSuchKey(r.key);
            }
            if (info.isMarker() || info.size() == 0 || head) {
                answerObject(ex, r, info, null, head, fault);
                return;
            }
            FileChannel ch;
            try {
                ch = FileChannel.open(info.file(), StandardOpenOption.READ);
            } catch (IOException e) {
                if (attempt < 3) {
                    continue; // replaced or deleted between stat and open
                }
                throw OssError.noSuchKey(r.key);
            }
            try (ch) {
                ObjectInfo again = store.stat(r.key);
                if (again == null || !again.equals(info)) {
                    if (attempt < 3) {
                        continue; // a PUT replaced the file; serve a consistent version
                    }
                }
                answerObject(ex, r, info, ch, false, fault);
                return;
            }
        }
    }

    private void answerObject(HttpExchange ex, Route r, ObjectInfo info, FileChannel ch, boolean head,
                              Faults.Action fault) throws IOException {
        String etag = etags.etagOf(info);
        Headers out = ex.getResponseHeaders();
        String lastModified = HTTP_DATE.format(Instant.ofEpochMilli(info.mtimeMillis()));
        out.set("ETag", "\"" + etag + "\"");
        out.set("Last-Modified", lastModified);
        out.set("x-oss-object-type", "Normal");
        out.set("x-oss-storage-class", "Standard");
        out.set("Accept-Ranges", "bytes");
        String contentType = r.params.get("response-content-type");
        out.set("Content-Type", contentType != null ? contentType : "application/octet-stream");

        Headers in = ex.getRequestHeaders();
        int cond = Preconditions.evaluate(in, etag, info.mtimeMillis());
        if (cond == 412) {
            throw new OssError(412, "PreconditionFailed", "At least one of the pre-conditions you specified did"
                    + " not hold.", "<Condition>If-Match</Condition>");
        }
        if (cond == 304) {
            out.remove("Content-Type");
            ex.sendResponseHeaders(304, -1);
            return;
        }
        long size = info.size();
        ByteRange range;
        try {
            range = ByteRange.parse(in.getFirst("Range"), size);
        } catch (ByteRange.Unsatisfiable e) {
            out.remove("ETag");
            out.remove("Last-Modified");
            out.set("Content-Range", "bytes */" + size);
            throw new OssError(416, "InvalidRange", "The requested range cannot be satisfied.",
                    "<ActualObjectSize>" + size + "</ActualObjectSize>");
        }
        long first = range == null ? 0 : range.first();
        long length = range == null ? size : range.length();
        int status = range == null ? 200 : 206;
        if (range != null) {
            out.set("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + size);
        }
        if (head) {
            out.set("Content-Length", Long.toString(size));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        sendBody(ex, status, length, fault, r.key, (o, off, len) -> copy(ch, first + off, len, o, r.key));
    }

    private void copy(FileChannel ch, long position, long len, OutputStream out, String key) throws IOException {
        byte[] buf = buffers.get();
        ByteBuffer bb = ByteBuffer.wrap(buf);
        long pos = position;
        long remaining = len;
        while (remaining > 0) {
            bb.clear().limit((int) Math.min(buf.length, remaining));
            int n = ch.read(bb, pos);
            if (n < 0) {
                throw new AbortConnection("file shrank while being served");
            }
            out.write(buf, 0, n);
            counters.sent(key, n);
            pos += n;
            remaining -= n;
        }
    }

    private void putObject(HttpExchange ex, BucketStore store, Route r) throws IOException {
        Headers in = ex.getRequestHeaders();
        if (in.getFirst("x-oss-copy-source") != null) {
            throw OssError.notImplemented("CopyObject");
        }
        for (String p : r.params.keySet()) {
            if (!HARMLESS_OBJECT_PARAMS.contains(p)) {
                throw OssError.notImplemented("the object sub-resource '" + p + "'");
            }
        }
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
            put = store.put(r.key, new java.io.ByteArrayInputStream(data));
        } else {
            put = store.put(r.key, body);
        }
        ObjectInfo info = put.info();
        if (info != null) {
            etags.remember(info, put.md5Hex());
        }
        String etag = info == null ? put.md5Hex() : etags.etagForPut(info, put.md5Hex());
        ex.getResponseHeaders().set("ETag", "\"" + etag + "\"");
        ex.sendResponseHeaders(200, -1);
    }

    // ---- answering ----

    @FunctionalInterface
    private interface BodyWriter {
        void write(OutputStream out, long offset, long length) throws IOException;
    }

    private void sendXml(HttpExchange ex, int status, String xml, Faults.Action fault) throws IOException {
        byte[] body = xml.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/xml");
        sendBody(ex, status, body.length, fault, null, (o, off, len) -> o.write(body, (int) off, (int) len));
    }

    /** Sends headers and a body of {@code length} bytes, applying a body fault if one was drawn. */
    private void sendBody(HttpExchange ex, int status, long length, Faults.Action fault, String key,
                          BodyWriter writer) throws IOException {
        if (fault != null && fault.kind() == Faults.Kind.CLOSE_DELIMITED) {
            sendCloseDelimited(ex, status, length, fault.bytes() < 0 ? length : fault.bytes(), writer);
        }
        ex.sendResponseHeaders(status, length == 0 ? -1 : length);
        if (length == 0 && fault == null) {
            return;
        }
        OutputStream o = ex.getResponseBody();
        if (fault == null) {
            writer.write(o, 0, length);
            return;
        }
        long half = length / 2;
        switch (fault.kind()) {
            case TRUNCATE -> {
                long n = Math.min(fault.bytes(), length);
                writer.write(o, 0, n);
                o.flush();
                throw new AbortConnection("injected: truncated body after " + n + " of " + length + " bytes");
            }
            case RESET_MID_BODY -> {
                writer.write(o, 0, half);
                o.flush();
                throw new AbortConnection("injected: reset after " + half + " of " + length + " bytes");
            }
            case STALL_BODY -> {
                writer.write(o, 0, half);
                o.flush();
                sleep(fault.duration());
                writer.write(o, half, length - half);
            }
            case STALL_AFTER -> {
                long n = Math.min(fault.bytes(), length);
                writer.write(o, 0, n);
                o.flush();
                while (fault.duration() == null) {
                    sleep(Duration.ofHours(1)); // until close() interrupts this thread
                }
                sleep(fault.duration());
                writer.write(o, n, length - n);
            }
            default -> writer.write(o, 0, length);
        }
    }

    /**
     * Writes status line, headers (without Content-Length) and {@code sent} body bytes straight to the
     * socket, then ends the body by closing the connection. The JDK server frames every HTTP/1.1 answer
     * itself (fixed length or chunked), so this one goes under it.
     */
    private void sendCloseDelimited(HttpExchange ex, int status, long length, long sent, BodyWriter writer)
            throws IOException {
        OutputStream raw = RawExchange.socketOutput(ex);
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status)
                .append(status == 206 ? " Partial Content" : " OK").append("\r\n");
        head.append("Date: ").append(HTTP_DATE.format(Instant.now())).append("\r\n");
        ex.getResponseHeaders().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("Content-Length")) {
                values.forEach(v -> head.append(name).append(": ").append(v).append("\r\n"));
            }
        });
        head.append("\r\n");
        raw.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        writer.write(raw, 0, Math.min(sent, length));
        for (long extra = sent - length; extra > 0; ) {
            int n = (int) Math.min(extra, 8192);
            raw.write(new byte[n]);
            extra -= n;
        }
        raw.flush();
        throw new AbortConnection("injected: close-delimited body of " + sent + " bytes (answer has " + length + ")");
    }

    private void sendError(HttpExchange ex, OssError e, String requestId, boolean head, Route route)
            throws IOException {
        String hostId = route != null && route.bucket != null ? route.bucket + "." + config.hostText()
                : config.hostText();
        String xml = e.toXml(requestId, hostId);
        byte[] body = xml.getBytes(StandardCharsets.UTF_8);
        Headers out = ex.getResponseHeaders();
        out.remove("ETag");
        out.remove("Last-Modified");
        out.remove("Accept-Ranges");
        out.remove("x-oss-object-type");
        out.remove("x-oss-storage-class");
        out.set("Content-Type", "application/xml");
        out.set("x-oss-ec", "0000-00000000");
        if (head) {
            out.set("x-oss-err", Base64.getEncoder().encodeToString(body));
            out.set("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(e.status, -1);
            return;
        }
        if (e.status == 304) {
            ex.sendResponseHeaders(304, -1);
            return;
        }
        ex.sendResponseHeaders(e.status, body.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
        }
    }

    private static void drainRequestBody(HttpExchange ex) {
        try (InputStream in = ex.getRequestBody()) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // the connection is closed after the answer anyway
        }
    }

    private static void sleep(Duration d) throws IOException {
        try {
            Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AbortConnection("interrupted (server closing)");
        }
    }
}
