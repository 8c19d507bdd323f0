package dev.orca.gateway.upstream;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import reactor.core.publisher.Mono;

/**
 * Call deadlines on one hashed wheel timer (Netty's): arming and cancelling a deadline is a lock-free
 * enqueue, where {@code Mono.delay} on Reactor's parallel scheduler takes a lock and wakes a timer thread
 * for every call. Deadlines fire up to one tick (10 ms) late, which call timeouts can afford.
 */
final class Deadlines {
  private static final HashedWheelTimer TIMER = new HashedWheelTimer(daemon(), 10, TimeUnit.MILLISECONDS, 512);

  private Deadlines() {}

  /** Emits 0 after {@code nanos} (at once when not positive); cancelling disarms it. */
  static Mono<Long> after(long nanos) {
    if (nanos <= 0) {
      return Mono.just(0L);
    }
    return Mono.create(sink -> {
      Timeout timeout = TIMER.newTimeout(t -> sink.success(0L), nanos, TimeUnit.NANOSECONDS);
      sink.onCancel(timeout::cancel);
    });
  }

  private static ThreadFactory daemon() {
    return r -> {
      Thread t = new Thread(r, "orca-upstream-deadlines");
      t.setDaemon(true);
      return t;
    };
  }
}
