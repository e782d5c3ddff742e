package io.ossfuse.localoss;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/**
 * Answers one {@link OssOperation}; errors are thrown as {@link OssError} and answered by {@link
 * ErrorAnswerFilter}.
 */
@FunctionalInterface
interface OperationHandler {
  /** {@code store} is the request's bucket, or null for service-level requests and PUT bucket. */
  void handle(HttpExchange ex, OssRequest request, BucketStore store) throws IOException;
}
