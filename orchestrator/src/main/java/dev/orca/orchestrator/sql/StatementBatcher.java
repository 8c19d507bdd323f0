package dev.orca.orchestrator.sql;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Runs concurrent requests of one kind as one set-based statement (group commit). A request waits only
 * while {@code concurrency} statements of its kind already run: alone it goes at once; under load it
 * joins whatever queued meanwhile (up to {@code maxBatch}), so a statement, its round trip and its
 * commit serve many requests. Requests with the same key never share a batch: the later one waits for
 * the next, so one key's requests keep their order.
 *
 * <p>If a batch fails, each of its requests is run again alone, so a request the database refuses fails
 * by itself and not its batch mates.
 *
 * @param <K> the request's key (the statement answers by key)
 * @param <Q> the request
 * @param <A> the answer; a request without one (the statement did not return its key) completes empty
 */
public final class StatementBatcher<K, Q, A> {
  private final int maxBatch;
  private final int concurrency;
  private final Function<Q, K> keyOf;
  private final Function<List<Q>, Mono<Map<K, A>>> statement;
  private final ConcurrentLinkedDeque<Waiting<Q, A>> queue = new ConcurrentLinkedDeque<>();
  private final AtomicInteger running = new AtomicInteger();

  private record Waiting<Q, A>(Q request, Sinks.One<A> answer) {}

  public StatementBatcher(int maxBatch, int concurrency, Function<Q, K> keyOf, Function<List<Q>, Mono<Map<K, A>>> statement) {
    if (maxBatch < 1 || concurrency < 1) {
      throw new IllegalArgumentException("maxBatch and concurrency must be at least 1");
    }
    this.maxBatch = maxBatch;
    this.concurrency = concurrency;
    this.keyOf = keyOf;
    this.statement = statement;
  }

  /** Emits the request's answer once its statement committed; empty when the statement had none for it. */
  public Mono<A> submit(Q request) {
    return Mono.defer(() -> {
      Sinks.One<A> answer = Sinks.one();
      queue.add(new Waiting<>(request, answer));
      drain();
      return answer.asMono();
    });
  }

  private void drain() {
    while (!queue.isEmpty()) {
      int now = running.get();
      if (now >= concurrency) {
        return; // a running batch drains again when it ends
      }
      if (!running.compareAndSet(now, now + 1)) {
        continue;
      }
      List<Waiting<Q, A>> batch = take();
      if (batch.isEmpty()) {
        running.decrementAndGet();
        continue;
      }
      run(batch)
          .doFinally(signal -> {
            running.decrementAndGet();
            drain();
          })
          .subscribe();
    }
  }

  private List<Waiting<Q, A>> take() {
    List<Waiting<Q, A>> batch = new ArrayList<>();
    List<Waiting<Q, A>> later = new ArrayList<>();
    Set<K> keys = new HashSet<>();
    for (Waiting<Q, A> w; batch.size() < maxBatch && (w = queue.poll()) != null; ) {
      (keys.add(keyOf.apply(w.request())) ? batch : later).add(w);
    }
    for (int i = later.size() - 1; i >= 0; i--) {
      queue.addFirst(later.get(i)); // back in front, in their order
    }
    return batch;
  }

  private Mono<Void> run(List<Waiting<Q, A>> batch) {
    // The answers go out after the error handling: a failure while answering must never run a request again.
    return Mono.defer(() -> statement.apply(batch.stream().map(Waiting::request).toList()))
        .defaultIfEmpty(Map.of())
        .<Runnable>map(answers -> () -> batch.forEach(w -> answer(w, answers.get(keyOf.apply(w.request())))))
        .onErrorResume(e -> batch.size() == 1
            ? Mono.just(() -> batch.get(0).answer().tryEmitError(e))
            : Flux.fromIterable(batch).concatMap(w -> run(List.of(w))).then(Mono.empty()))
        .doOnNext(Runnable::run)
        .then();
  }

  private void answer(Waiting<Q, A> w, A answer) {
    if (answer == null) {
      w.answer().tryEmitEmpty();
    } else {
      w.answer().tryEmitValue(answer);
    }
  }
}
