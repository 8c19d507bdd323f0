package dev.orca.orchestrator.events;

import dev.orca.orchestrator.engine.ExecutionEvent;
import dev.orca.orchestrator.notify.PgNotifications;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Publishes {@code execution_outbox} to Kafka, at least once and in order per execution: claims a
 * batch ({@code FOR UPDATE SKIP LOCKED}, so replicas share the work), sends it, and marks it published
 * in the same transaction only after the broker acknowledged. Woken by {@code pg_notify} on
 * {@link ExecutionEvent#NOTIFY_CHANNEL} and by a slow poll; one batch at a time per process. After a
 * pass it rests {@code pace} before the next, and the wake-ups meanwhile collapse into one: an event
 * after a quiet spell goes out at once, while under load a pass (a transaction, a Kafka request and its
 * acknowledgement) serves everything of the last {@code pace} instead of a few transitions each. While
 * the broker is unreachable rows stay unpublished and the relay retries with backoff.
 */
@Component
public class OutboxRelay implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
  static final int BATCH = 200;

  private final ExecutionOutbox outbox;
  private final KafkaExecutionEventPublisher publisher;
  private final PgNotifications notifications;
  private final TransactionalOperator transactions;
  private final Duration pollInterval;
  private final Duration pace;
  private final Duration minBackoff;
  private final Duration maxBackoff;
  private final AtomicBoolean failing = new AtomicBoolean();

  private volatile Disposable running;
  private volatile Sinks.Empty<Void> stopSignal;
  private volatile Sinks.Empty<Void> stopped;

  @Autowired
  public OutboxRelay(ExecutionOutbox outbox, KafkaExecutionEventPublisher publisher, PgNotifications notifications,
      ConnectionFactory connectionFactory, @Value("${orca.outbox.poll-interval:2s}") Duration pollInterval,
      @Value("${orca.outbox.pace:50ms}") Duration pace) {
    this(outbox, publisher, notifications, connectionFactory, pollInterval, pace, Duration.ofMillis(500), Duration.ofSeconds(30));
  }

  public OutboxRelay(ExecutionOutbox outbox, KafkaExecutionEventPublisher publisher, PgNotifications notifications,
      ConnectionFactory connectionFactory, Duration pollInterval, Duration pace, Duration minBackoff, Duration maxBackoff) {
    this.outbox = outbox;
    this.publisher = publisher;
    this.notifications = notifications;
    this.transactions = TransactionalOperator.create(new R2dbcTransactionManager(connectionFactory));
    this.pollInterval = pollInterval;
    this.pace = pace;
    this.minBackoff = minBackoff;
    this.maxBackoff = maxBackoff;
  }

  @Override
  public synchronized void start() {
    if (running != null) {
      return;
    }
    Sinks.Empty<Void> stop = Sinks.empty();
    Sinks.Empty<Void> done = Sinks.empty();
    stopSignal = stop;
    stopped = done;
    Flux<Object> wakeUps = Flux.merge(
        notifications.events(ExecutionEvent.NOTIFY_CHANNEL),
        Flux.interval(Duration.ZERO, pollInterval));
    running = wakeUps
        .takeUntilOther(stop.asMono())
        .onBackpressureLatest() // wake-ups during a batch collapse into one more pass
        .concatMap(wake -> drain(stop.asMono()).then(rest(stop.asMono())), 1)
        .doFinally(signal -> done.tryEmitEmpty())
        .subscribe(n -> {}, e -> log.error("Outbox relay stopped on an unexpected error", e));
    log.info("Outbox relay publishing execution events to Kafka topic {}", publisher.topic());
  }

  /** The pause after a pass; stopping cuts it short. */
  private Mono<Void> rest(Mono<Void> stop) {
    return pace.isZero() ? Mono.empty() : Mono.firstWithSignal(Mono.delay(pace).then(), stop);
  }

  /** Relays until a batch comes back short; on failure retries with backoff until it succeeds or the relay stops. */
  private Mono<Long> drain(Mono<Void> stop) {
    return relayBatch()
        .repeat()
        .takeUntil(count -> count < BATCH)
        .reduce(0L, Long::sum)
        .doOnSuccess(count -> {
          if (failing.compareAndSet(true, false)) {
            log.info("Outbox relay publishing again");
          }
        })
        .retryWhen(Retry.from(signals -> signals.concatMap(signal -> backoff(signal, stop))))
        .onErrorResume(e -> Mono.empty());
  }

  private Mono<Long> backoff(Retry.RetrySignal signal, Mono<Void> stop) {
    if (failing.compareAndSet(false, true)) {
      log.warn("Outbox relay cannot publish ({}); keeping the rows and retrying with backoff", signal.failure().toString());
    } else {
      log.debug("Outbox relay retry {} failed", signal.totalRetriesInARow(), signal.failure());
    }
    long shift = Math.min(signal.totalRetriesInARow(), 16);
    Duration delay = minBackoff.multipliedBy(1L << shift);
    if (delay.compareTo(maxBackoff) > 0) {
      delay = maxBackoff;
    }
    // Stopping cuts the wait short and ends the retries.
    Throwable failure = signal.failure();
    return Mono.firstWithSignal(Mono.delay(delay), stop.then(Mono.<Long>error(failure)));
  }

  /**
   * One batch in one transaction: claim, send, wait for the broker's acks, mark published, commit.
   * Returns how many rows were claimed.
   */
  Mono<Long> relayBatch() {
    // Off the thread that woke us (the LISTEN connection's event loop): the Kafka clients may block creating.
    return publisher.ensureTopic().subscribeOn(Schedulers.boundedElastic()).then(
        outbox.unpublished(BATCH).collectList()
            .flatMap(batch -> batch.isEmpty()
                ? Mono.just(0L)
                : publisher.publish(batch)
                    .then(outbox.markPublished(ids(batch)))
                    .thenReturn((long) batch.size()))
            .as(transactions::transactional));
  }

  private static List<Long> ids(List<ExecutionEvent> batch) {
    return batch.stream().map(ExecutionEvent::sequence).toList();
  }

  @Override
  public void stop() {
    stop(() -> {});
  }

  @Override
  public synchronized void stop(Runnable callback) {
    Disposable current = running;
    if (current == null) {
      callback.run();
      return;
    }
    running = null;
    stopSignal.tryEmitEmpty();
    // The batch in flight finishes (or times out); then the relay is gone.
    stopped.asMono()
        .timeout(Duration.ofSeconds(15), Mono.fromRunnable(current::dispose))
        .doFinally(signal -> callback.run())
        .subscribe(v -> {}, e -> {});
  }

  @Override
  public boolean isRunning() {
    return running != null;
  }
}
