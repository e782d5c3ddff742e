package io.ossfuse.localoss;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/** ListBuckets: every bucket served, created when the server started. */
final class ListBucketsHandler implements OperationHandler {
  private final BucketRegistry buckets;
  private final ServerIdentity server;

  ListBucketsHandler(BucketRegistry buckets, ServerIdentity server) {
    this.buckets = buckets;
    this.server = server;
  }

  @Override
  public void handle(HttpExchange ex, OssRequest request, BucketStore none) throws IOException {
    Xml x = new Xml();
    x.open("ListAllMyBucketsResult")
        .open("Owner")
        .el("ID", "localoss")
        .el("DisplayName", "localoss")
        .close("Owner")
        .open("Buckets");
    String created = ListBucketResponse.ISO_MILLIS.format(server.startedAt());
    for (String name : buckets.bucketNames()) {
      x.open("Bucket")
          .el("CreationDate", created)
          .el("ExtranetEndpoint", server.hostText)
          .el("IntranetEndpoint", server.hostText)
          .el("Location", server.location())
          .el("Name", name)
          .el("Region", server.region)
          .el("StorageClass", "Standard")
          .close("Bucket");
    }
    x.close("Buckets").close("ListAllMyBucketsResult");
    Answers.sendXml(ex, 200, x.toString(), request.bodyFault);
  }
}
