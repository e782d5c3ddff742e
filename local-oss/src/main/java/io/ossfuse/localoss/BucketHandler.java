package io.ossfuse.localoss;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/** Bucket-level requests: PUT bucket, HEAD bucket, GetBucketInfo/Location/Acl/Stat. */
final class BucketHandler implements OperationHandler {
  private final BucketRegistry buckets;
  private final ServerIdentity server;

  BucketHandler(BucketRegistry buckets, ServerIdentity server) {
    this.buckets = buckets;
    this.server = server;
  }

  @Override
  public void handle(HttpExchange ex, OssRequest request, BucketStore store) throws IOException {
    Route r = request.route;
    if (r.method().equals("PUT")) {
      createBucket(ex, r);
    } else if (r.isHead()) {
      ex.sendResponseHeaders(200, -1);
    } else {
      Answers.sendXml(ex, 200, info(store, r), request.bodyFault);
    }
  }

  private void createBucket(HttpExchange ex, Route r) throws IOException {
    if (!r.params().isEmpty()) {
      throw OssError.notImplemented("bucket sub-resource PUTs");
    }
    Answers.drainRequestBody(ex);
    buckets.createBucket(r.bucket());
    ex.sendResponseHeaders(200, -1);
  }

  private String info(BucketStore store, Route r) {
    String created = ListBucketResponse.ISO_MILLIS.format(server.startedAt());
    Xml x = new Xml();
    if (r.params().containsKey("bucketInfo")) {
      x.open("BucketInfo")
          .open("Bucket")
          .el("AccessMonitor", "Disabled")
          .el("CreationDate", created)
          .el("ExtranetEndpoint", server.hostText)
          .el("IntranetEndpoint", server.hostText)
          .el("Location", server.location())
          .el("StorageClass", "Standard")
          .el("DataRedundancyType", "LRS")
          .el("Name", store.name)
          .el("ResourceGroupId", "rg-local")
          .open("Owner")
          .el("ID", "localoss")
          .el("DisplayName", "localoss")
          .close("Owner")
          .open("AccessControlList")
          .el("Grant", "private")
          .close("AccessControlList")
          .open("ServerSideEncryptionRule")
          .el("SSEAlgorithm", "None")
          .close("ServerSideEncryptionRule")
          .open("BucketPolicy")
          .el("LogBucket", "")
          .el("LogPrefix", "")
          .close("BucketPolicy")
          .el("Comment", "local-oss")
          .close("Bucket")
          .close("BucketInfo");
    } else if (r.params().containsKey("location")) {
      x.el("LocationConstraint", server.location());
    } else if (r.params().containsKey("acl")) {
      x.open("AccessControlPolicy")
          .open("Owner")
          .el("ID", "localoss")
          .el("DisplayName", "localoss")
          .close("Owner")
          .open("AccessControlList")
          .el("Grant", "private")
          .close("AccessControlList")
          .close("AccessControlPolicy");
    } else if (r.params().containsKey("stat")) {
      x.open("BucketStat")
          .el("Storage", 0)
          .el("ObjectCount", 0)
          .el("MultipartUploadCount", 0)
          .close("BucketStat");
    } else {
      throw OssError.notImplemented("the bucket sub-resource(s) " + r.params().keySet());
    }
    return x.toString();
  }
}
