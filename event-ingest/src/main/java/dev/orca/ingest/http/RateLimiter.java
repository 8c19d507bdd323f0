package dev.orca.ingest.http;

/**
 * A token bucket: {@code perSecond} tokens a second, holding at most one second's worth. Per source
 * and per replica; cheap enough to ask on every request.
 */
final class RateLimiter {
  private final double perNano;
  private final double capacity;
  private double tokens;
  private long last;

  RateLimiter(int perSecond) {
    this.perNano = perSecond / 1e9;
    this.capacity = perSecond;
    this.tokens = perSecond;
    this.last = System.nanoTime();
  }

  synchronized boolean tryAcquire() {
    long now = System.nanoTime();
    tokens = Math.min(capacity, tokens + (now - last) * perNano);
    last = now;
    if (tokens < 1) {
      return false;
    }
    tokens -= 1;
    return true;
  }
}
