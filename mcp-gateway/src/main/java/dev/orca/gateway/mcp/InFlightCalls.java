package dev.orca.gateway.mcp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Legacy-era calls in flight on this replica, by session and request id, so that
 * {@code notifications/cancelled} can stop one. (A client that also closes the connection, as the spec
 * recommends, cancels the call on whichever replica runs it.)
 */
final class InFlightCalls {
  private final Map<String, Sinks.One<Boolean>> calls = new ConcurrentHashMap<>();

  /** Wraps {@code call} so that {@link #cancel} of (session, request) cancels it; fails with {@code cancelled} then. */
  <T> Flux<T> track(String session, String requestId, Flux<T> call, Supplier<? extends Throwable> cancelled) {
    String key = key(session, requestId);
    return Flux.defer(() -> {
      Sinks.One<Boolean> cancel = Sinks.one();
      AtomicBoolean wasCancelled = new AtomicBoolean();
      calls.put(key, cancel);
      return call.takeUntilOther(cancel.asMono().doOnNext(x -> wasCancelled.set(true)))
          .concatWith(Mono.defer(() -> wasCancelled.get() ? Mono.error(cancelled.get()) : Mono.empty()))
          .doFinally(signal -> calls.remove(key, cancel));
    });
  }

  /** Cancels the call, if it is in flight here; true if it was. */
  boolean cancel(String session, String requestId) {
    Sinks.One<Boolean> cancel = calls.get(key(session, requestId));
    return cancel != null && cancel.tryEmitValue(true).isSuccess();
  }

  int size() {
    return calls.size();
  }

  private static String key(String session, String requestId) {
    return session + '\n' + requestId;
  }
}
