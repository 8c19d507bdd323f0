package dev.orca.ingest.publish;

import dev.orca.ingest.IngestProperties;
import io.r2dbc.spi.ConnectionFactory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * Publishes queued webhooks ({@code webhook_outbox} rows left unpublished while Kafka was away), in
 * id order per key and at least once: claims a batch ({@code FOR UPDATE SKIP LOCKED}, so replicas
 * share the work), sends it, marks what the broker acknowledged published and commits. Woken when
 * this replica queues a webhook and by a poll (for rows other replicas queued); retries with backoff
 * while Kafka stays away. Also forgets deliveries older than {@code orca.ingest.dedup-retention}.
 */
@Component
public class OutboxRelay implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
  static final int BATCH = 500;
  private static final int PRUNE_BATCH = 10_000;
  private static final Duration MIN_BACKOFF = Duration.ofMillis(250);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  private final WebhookOutbox outbox;
  private final KafkaWebhookSender sender;
  private final TransactionalOperator transactions;
  private final Duration pollInterval;
  private final Duration retention;
  private final Sinks.Many<Boolean> wakeUps = Sinks.many().multicast().directBestEffort();
  private final AtomicBoolean failing = new AtomicBoolean();
  private volatile Disposable running;

  public OutboxRelay(WebhookOutbox outbox, KafkaWebhookSender sender, ConnectionFactory connectionFactory,
      IngestProperties properties) {
    this.outbox = outbox;
    this.sender = sender;
    this.transactions = TransactionalOperator.create(new R2dbcTransactionManager(connectionFactory));
    this.pollInterval = properties.relayPollInterval();
    this.retention = properties.dedupRetention();
  }

  /** Relay soon: this replica just queued a webhook. */
  void wake() {
    wakeUps.tryEmitNext(Boolean.TRUE);
  }

  @Override
  public synchronized void start() {
    if (running != null) {
      return;
    }
    Disposable relaying = Flux.merge(wakeUps.asFlux(), Flux.interval(Duration.ZERO, pollInterval))
        .onBackpressureLatest() // wake-ups during a pass collapse into one more pass
        .concatMap(wake -> drain(), 1)
        .subscribe(n -> {}, e -> log.error("Webhook outbox relay stopped on an unexpected error", e));
    Disposable pruning = Flux.interval(Duration.ofMinutes(1), Duration.ofMinutes(10))
        .onBackpressureDrop()
        .concatMap(tick -> outbox.prune(retention, PRUNE_BATCH)
            .doOnNext(n -> {
              if (n > 0) {
                log.debug("Forgot {} webhook deliveries older than {}", n, retention);
              }
            })
            .onErrorResume(e -> Mono.empty()), 1)
        .subscribe();
    running = () -> {
      relaying.dispose();
      pruning.dispose();
    };
  }

  /** Relays until the outbox is drained; while Kafka refuses, retries with backoff. */
  private Mono<Long> drain() {
    return relayBatch()
        .repeat()
        .takeUntil(count -> count < BATCH)
        .reduce(0L, Long::sum)
        .doOnSuccess(count -> {
          sender.markAvailable(); // an empty pass too: whoever queued rows, Kafka gets another chance
          if (failing.compareAndSet(true, false)) {
            log.info("Webhook outbox relay publishing again");
          }
        })
        .retryWhen(Retry.backoff(Long.MAX_VALUE, MIN_BACKOFF).maxBackoff(MAX_BACKOFF)
            .doBeforeRetry(signal -> {
              if (failing.compareAndSet(false, true)) {
                log.warn("Webhook outbox relay cannot publish ({}); keeping the rows and retrying", signal.failure().toString());
              }
            }))
        .onErrorResume(e -> Mono.empty());
  }

  /**
   * One batch in one transaction: claim, send, mark what was acknowledged, commit. Returns how many
   * were claimed; fails (after committing the acknowledged ones) when Kafka refused any.
   */
  Mono<Long> relayBatch() {
    return outbox.claim(BATCH).collectList()
        .flatMap(batch -> batch.isEmpty()
            ? Mono.just(new long[] {0, 0})
            : sender.sendQueued(batch).flatMap(acked -> outbox.markPublished(acked)
                .thenReturn(new long[] {batch.size(), acked.size()})))
        .as(transactions::transactional)
        .flatMap(counts -> {
          if (counts[1] < counts[0]) {
            return Mono.error(new IllegalStateException("Kafka acknowledged " + counts[1] + " of " + counts[0] + " queued webhooks"));
          }
          if (counts[0] > 0) {
            sender.markAvailable(); // new webhooks go direct again, while the backlog drains
          }
          return Mono.just(counts[0]);
        });
  }

  @Override
  public synchronized void stop() {
    if (running != null) {
      running.dispose();
      running = null;
    }
  }

  @Override
  public boolean isRunning() {
    return running != null;
  }
}
