package io.ossfuse.localoss;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;

/**
 * The handler behind the filters: finds the bucket and hands the request to its operation's
 * handler.
 */
final class OperationDispatcher implements HttpHandler {
  private final BucketRegistry buckets;
  private final Map<OssOperation, OperationHandler> handlers = new EnumMap<>(OssOperation.class);

  OperationDispatcher(
      BucketRegistry buckets, ServerIdentity server, ETags etags, Counters counters) {
    this.buckets = buckets;
    GetObjectHandler get = new GetObjectHandler(etags, counters);
    handlers.put(OssOperation.SERVICE, new ListBucketsHandler(buckets, server));
    handlers.put(OssOperation.BUCKET, new BucketHandler(buckets, server));
    handlers.put(
        OssOperation.LIST,
        (ex, r, store) ->
            Answers.sendXml(
                ex, 200, ListBucketResponse.render(store, r.route.params(), etags), r.bodyFault));
    handlers.put(OssOperation.GET, get);
    handlers.put(OssOperation.HEAD, get);
    handlers.put(OssOperation.PUT, new PutObjectHandler(etags));
    handlers.put(
        OssOperation.DELETE,
        (ex, r, store) -> {
          store.delete(r.route.key());
          ex.sendResponseHeaders(204, -1);
        });
  }

  @Override
  public void handle(HttpExchange ex) throws IOException {
    OssRequest request = OssRequest.current();
    Route r = request.route;
    BucketStore store = null;
    boolean needsBucket =
        request.op != OssOperation.SERVICE
            && !(request.op == OssOperation.BUCKET && r.method().equals("PUT"));
    if (needsBucket) {
      store = buckets.store(r.bucket());
      if (store == null) {
        throw OssError.noSuchBucket();
      }
    }
    OperationHandler handler = handlers.get(request.op);
    if (handler == null) {
      throw new IllegalStateException("unrouted " + request.op);
    }
    handler.handle(ex, request, store);
  }
}
