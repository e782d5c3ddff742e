package io.ossfuse.localoss;

/**
 * What the filters learn about one request, for the filters and handler after them: id, route,
 * operation and a body fault still to apply.
 *
 * <p>The JDK server runs a request's filter chain and handler on one thread, so the request is held
 * in a thread-local between {@link #begin} and {@link #end}. (Exchange attributes would not do: JDK
 * 17 backs them by the context's map, shared by every request.)
 */
final class OssRequest {
  private static final ThreadLocal<OssRequest> CURRENT = new ThreadLocal<>();

  final String id;
  Route route;
  OssOperation op;

  /** A fault drawn for this request that acts on the answer's body, or null. */
  Faults.Action bodyFault;

  private OssRequest(String id) {
    this.id = id;
  }

  static OssRequest begin(String id) {
    OssRequest r = new OssRequest(id);
    CURRENT.set(r);
    return r;
  }

  static OssRequest current() {
    OssRequest r = CURRENT.get();
    if (r == null) {
      throw new IllegalStateException(
          "no OSS request on this thread; ErrorAnswerFilter must run first");
    }
    return r;
  }

  static void end() {
    CURRENT.remove();
  }
}
