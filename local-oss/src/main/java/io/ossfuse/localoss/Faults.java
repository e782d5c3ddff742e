package io.ossfuse.localoss;

import java.time.Duration;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Programmatic, thread-safe fault injection for tests of retrying and recovering clients.
 *
 * <pre>{@code
 * server.faults().next(2).op(OssOperation.GET).key("big.bin").status(503);   // two 503s, then normal
 * server.faults().next(1).op(OssOperation.GET).truncateBody(1000);           // 1000 bytes, then close
 * server.faults().next(1).op(OssOperation.GET).stallBodyForever(4096);       // 4 KiB, then silence
 * server.faults().next(1).op(OssOperation.GET).closeDelimitedBody();         // no Content-Length, close
 * server.faults().latency(Duration.ofMillis(20));                            // every request waits 20 ms
 * server.faults().clear();
 * }</pre>
 *
 * <p>A rule applies to the next {@code count} requests that match its operation and key (both
 * optional), after authentication; rules are tried in the order they were added and each matching
 * request consumes one use of the first matching rule. Body faults ({@code resetMidBody}, {@code
 * truncateBody}, {@code stallBody...}, {@code closeDelimitedBody}) act on any answer with a body
 * (objects and listings); on HEAD they act like {@code dropConnection}. The JDK HTTP server closes
 * sockets gracefully, so a "reset" reaches the client as an early end of stream (Apache: "Premature
 * end of Content-Length delimited message body"), not a TCP RST.
 */
public final class Faults {
  enum Kind {
    STATUS,
    DROP,
    RESET_MID_BODY,
    TRUNCATE,
    STALL_BODY,
    STALL_AFTER,
    CLOSE_DELIMITED,
    DELAY
  }

  /**
   * What to do to one request. {@code bytes}: how many body bytes to send first (-1: all of them);
   * {@code duration}: how long to wait (null with STALL_AFTER: until the client or the server
   * goes).
   */
  record Action(Kind kind, int status, long bytes, Duration duration) {}

  private final ConcurrentLinkedQueue<Rule> rules = new ConcurrentLinkedQueue<>();
  private volatile Duration latency = Duration.ZERO;
  private final AtomicLong injected = new AtomicLong();

  Faults() {}

  /**
   * Starts a rule for the next {@code count} matching requests; finish it with an action method.
   */
  public Rule next(int count) {
    if (count <= 0) {
      throw new IllegalArgumentException("count must be > 0, was " + count);
    }
    return new Rule(count);
  }

  /** Starts a rule that applies to every matching request until {@link #clear()}. */
  public Rule always() {
    return new Rule(Integer.MAX_VALUE);
  }

  /** Every request (faulted or not) waits this long before it is handled; zero turns it off. */
  public void latency(Duration perRequest) {
    Objects.requireNonNull(perRequest, "perRequest");
    if (perRequest.isNegative()) {
      throw new IllegalArgumentException("latency must be >= 0, was " + perRequest);
    }
    latency = perRequest;
  }

  /** Removes all rules and the latency, and zeroes {@link #injected()}. */
  public void clear() {
    rules.clear();
    latency = Duration.ZERO;
    injected.set(0);
  }

  /** Rules that still have uses left. */
  public int pendingRules() {
    rules.removeIf(r -> r.remaining.get() <= 0);
    return rules.size();
  }

  /** Faults injected so far (latency not counted). */
  public long injected() {
    return injected.get();
  }

  Duration latency() {
    return latency;
  }

  /** Consumes and returns the action for this request, or null for a normal answer. */
  Action take(OssOperation op, String key) {
    for (Iterator<Rule> it = rules.iterator(); it.hasNext(); ) {
      Rule r = it.next();
      if ((r.op != null && r.op != op) || (r.key != null && !r.key.equals(key))) {
        continue;
      }
      int left = r.remaining.getAndUpdate(n -> n > 0 && n != Integer.MAX_VALUE ? n - 1 : n);
      if (left <= 0) {
        it.remove();
        continue;
      }
      injected.incrementAndGet();
      return r.action;
    }
    return null;
  }

  /**
   * A fault rule under construction: narrow it with {@link #op} / {@link #key}, then pick the
   * action.
   */
  public final class Rule {
    private final AtomicInteger remaining;
    private OssOperation op;
    private String key;
    private Action action;

    private Rule(int count) {
      this.remaining = new AtomicInteger(count);
    }

    /** Only requests of this operation. */
    public Rule op(OssOperation operation) {
      this.op = Objects.requireNonNull(operation, "operation");
      return this;
    }

    /** Only requests for this exact object key. */
    public Rule key(String objectKey) {
      this.key = Objects.requireNonNull(objectKey, "objectKey");
      return this;
    }

    /**
     * Answer with this HTTP status and an OSS error XML (500 InternalError, 503 ServiceUnavailable,
     * ...).
     */
    public void status(int httpStatus) {
      if (httpStatus < 400 || httpStatus > 599) {
        throw new IllegalArgumentException("httpStatus must be 4xx or 5xx, was " + httpStatus);
      }
      add(new Action(Kind.STATUS, httpStatus, 0, null));
    }

    /** Close the connection without sending any response. */
    public void dropConnection() {
      add(new Action(Kind.DROP, 0, 0, null));
    }

    /** Send the headers and the first half of the body, then close the connection. */
    public void resetMidBody() {
      add(new Action(Kind.RESET_MID_BODY, 0, 0, null));
    }

    /** Send the full Content-Length header but only {@code bytesSent} body bytes, then close. */
    public void truncateBody(long bytesSent) {
      if (bytesSent < 0) {
        throw new IllegalArgumentException("bytesSent must be >= 0, was " + bytesSent);
      }
      add(new Action(Kind.TRUNCATE, 0, bytesSent, null));
    }

    /** Send the headers and half the body, pause for {@code pause}, then finish normally. */
    public void stallBody(Duration pause) {
      add(new Action(Kind.STALL_BODY, 0, 0, requireNonNegative(pause)));
    }

    /**
     * Send the headers and the first {@code bytesSent} body bytes (0: none, a first-byte delay),
     * pause for {@code pause}, then finish normally.
     */
    public void stallBodyAfter(long bytesSent, Duration pause) {
      add(
          new Action(
              Kind.STALL_AFTER, 0, requireNonNegative(bytesSent), requireNonNegative(pause)));
    }

    /**
     * Send the headers and the first {@code bytesSent} body bytes, then send nothing more and keep
     * the connection open until the server closes (a dead peer that never resets).
     */
    public void stallBodyForever(long bytesSent) {
      add(new Action(Kind.STALL_AFTER, 0, requireNonNegative(bytesSent), null));
    }

    /**
     * Answer without Content-Length (nor chunking): the headers, the whole body, then close the
     * connection to end it, as some OSS-compatible servers do; Content-Range still states the
     * range.
     */
    public void closeDelimitedBody() {
      add(new Action(Kind.CLOSE_DELIMITED, 0, -1, null));
    }

    /**
     * Like {@link #closeDelimitedBody()} but send exactly {@code bytesSent} body bytes before
     * closing: fewer than the answer's length is a short body, more adds zero bytes past its end (a
     * long one).
     */
    public void closeDelimitedBody(long bytesSent) {
      add(new Action(Kind.CLOSE_DELIMITED, 0, requireNonNegative(bytesSent), null));
    }

    /** Wait {@code delay} before answering normally (the headers and first byte come late). */
    public void delay(Duration delay) {
      add(new Action(Kind.DELAY, 0, 0, requireNonNegative(delay)));
    }

    private void add(Action a) {
      if (action != null) {
        throw new IllegalStateException("this rule already has an action: " + action.kind());
      }
      action = a;
      rules.add(this);
    }
  }

  private static long requireNonNegative(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytesSent must be >= 0, was " + bytes);
    }
    return bytes;
  }

  private static Duration requireNonNegative(Duration d) {
    Objects.requireNonNull(d, "duration");
    if (d.isNegative()) {
      throw new IllegalArgumentException("duration must be >= 0, was " + d);
    }
    return d;
  }
}
