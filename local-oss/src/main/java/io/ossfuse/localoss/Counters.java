package io.ossfuse.localoss;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Request and byte counters of a {@link LocalOssServer}, thread-safe, for tests that assert how
 * much a client fetched ("the second read came from the cache: still 1 GET").
 *
 * <p>A request is counted under its {@link OssOperation} once it passed authentication, also when a
 * fault is then injected into it. Requests refused with 403 count only in {@link #authFailures()}.
 * Object bytes are the payload bytes of GetObject bodies actually written to the socket.
 */
public final class Counters {
  private final Map<OssOperation, LongAdder> ops = new EnumMap<>(OssOperation.class);
  private final ConcurrentHashMap<String, LongAdder> getsByKey = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> bytesByKey = new ConcurrentHashMap<>();
  private final LongAdder bytes = new LongAdder();
  private final LongAdder authFailures = new LongAdder();
  private final LongAdder requests = new LongAdder();
  private final AtomicInteger getsInFlight = new AtomicInteger();
  private final AtomicInteger peakGetsInFlight = new AtomicInteger();

  Counters() {
    for (OssOperation op : OssOperation.values()) {
      ops.put(op, new LongAdder());
    }
  }

  /** Requests of this kind since start or the last {@link #reset()}. */
  public long count(OssOperation op) {
    return ops.get(op).sum();
  }

  public long gets() {
    return count(OssOperation.GET);
  }

  public long heads() {
    return count(OssOperation.HEAD);
  }

  public long lists() {
    return count(OssOperation.LIST);
  }

  /** GetObject requests for one key. */
  public long gets(String key) {
    LongAdder a = getsByKey.get(key);
    return a == null ? 0 : a.sum();
  }

  /** All HTTP requests received, including refused ones. */
  public long requests() {
    return requests.sum();
  }

  /** Requests answered 403 by signature, key or token checks. */
  public long authFailures() {
    return authFailures.sum();
  }

  /** Object payload bytes sent by GetObject, all keys. */
  public long bytesSent() {
    return bytes.sum();
  }

  /** Object payload bytes sent by GetObject for one key. */
  public long bytesSent(String key) {
    LongAdder a = bytesByKey.get(key);
    return a == null ? 0 : a.sum();
  }

  /** GetObject requests being answered now (headers or body not sent completely yet). */
  public int getsInFlight() {
    return getsInFlight.get();
  }

  /**
   * The most GetObject requests answered at the same time since start or the last {@link #reset()}:
   * how many ranged GETs a client keeps in flight.
   */
  public int peakGetsInFlight() {
    return peakGetsInFlight.get();
  }

  /** Sets every counter to zero. Not atomic against requests in flight. */
  public void reset() {
    peakGetsInFlight.set(getsInFlight.get());
    ops.values().forEach(LongAdder::reset);
    getsByKey.clear();
    bytesByKey.clear();
    bytes.reset();
    authFailures.reset();
    requests.reset();
  }

  @Override
  public String toString() {
    return "Counters[requests="
        + requests()
        + ", "
        + ops
        + ", bytesSent="
        + bytesSent()
        + ", authFailures="
        + authFailures()
        + "]";
  }

  void request() {
    requests.increment();
  }

  void authFailure() {
    authFailures.increment();
  }

  void op(OssOperation op, String key) {
    ops.get(op).increment();
    if (op == OssOperation.GET && key != null) {
      getsByKey.computeIfAbsent(key, k -> new LongAdder()).increment();
    }
  }

  void getStarted() {
    peakGetsInFlight.accumulateAndGet(getsInFlight.incrementAndGet(), Math::max);
  }

  void getEnded() {
    getsInFlight.decrementAndGet();
  }

  void sent(String key, long n) {
    bytes.add(n);
    bytesByKey.computeIfAbsent(key, k -> new LongAdder()).add(n);
  }
}
