package dev.orca.ingest.publish;

import dev.orca.ingest.IngestMetrics;
import dev.orca.ingest.IngestProperties;
import dev.orca.ingest.provider.Outcome;
import dev.orca.ingest.provider.Webhook;
import io.r2dbc.spi.R2dbcException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * Takes accepted webhooks to Kafka. Webhooks arriving together form a batch (whatever queued while
 * the running batches ran, up to {@code orca.ingest.max-batch}); up to
 * {@code orca.ingest.batch-concurrency} batches run at once per replica:
 * <ol>
 *   <li>record the batch's deliveries in {@code webhook_outbox} in one statement, without payloads; a
 *       delivery id already there is a duplicate; new rows are leased to this replica (the relay leaves
 *       them alone);</li>
 *   <li>send them to Kafka and wait for {@code acks=all}; answer 200;</li>
 *   <li>mark the acknowledged rows published (in the background).</li>
 * </ol>
 * Rows Kafka did not acknowledge, and rows that must wait behind an older queued record of their key,
 * get their payload stored and go to the {@link OutboxRelay}: answered 202 (503 if that store fails:
 * then the row is left as never acknowledged, and a redelivery takes it over once the lease ends).
 * While Kafka is known to be away, batches are queued, payloads and all, in their one statement. If
 * PostgreSQL fails, the batch is published directly without de-duplication; only if that fails too is
 * the answer 503.
 */
@Component
public class IngestPipeline {
  private static final Logger log = LoggerFactory.getLogger(IngestPipeline.class);

  private final WebhookOutbox outbox;
  private final KafkaWebhookSender sender;
  private final CloudEventRecords records;
  private final OutboxRelay relay;
  private final IngestMetrics metrics;
  private final Duration lease;
  private final int maxBatch;
  private final int maxPending;
  private final int maxInFlight;
  private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicBoolean databaseDown = new AtomicBoolean();

  public IngestPipeline(WebhookOutbox outbox, KafkaWebhookSender sender, CloudEventRecords records, OutboxRelay relay,
      IngestMetrics metrics, IngestProperties properties) {
    this.outbox = outbox;
    this.sender = sender;
    this.records = records;
    this.relay = relay;
    this.metrics = metrics;
    // Longer than a direct send and storing its payload can take (delivery timeout plus waiting for
    // metadata), with room to spare: until it ends, a redelivery of the webhook is a duplicate.
    this.lease = properties.publishTimeout().multipliedBy(4).plusSeconds(20);
    this.maxBatch = properties.maxBatch();
    this.maxPending = properties.maxPending();
    this.maxInFlight = properties.batchConcurrency();
  }

  private record Pending(Webhook webhook, OutgoingRecord record, Sinks.One<Outcome> result, long startNanos) {
    void complete(Outcome outcome) {
      result.tryEmitValue(outcome);
    }
  }

  /** Publishes (or queues) the webhook; emits PUBLISHED, QUEUED, DUPLICATE or UNAVAILABLE. */
  public Mono<Outcome> submit(Webhook webhook) {
    OutgoingRecord record = records.of(webhook);
    if (pending.incrementAndGet() > maxPending) {
      pending.decrementAndGet();
      return Mono.just(Outcome.UNAVAILABLE);
    }
    Sinks.One<Outcome> result = Sinks.one();
    queue.add(new Pending(webhook, record, result, System.nanoTime()));
    drain();
    return result.asMono();
  }

  /**
   * Starts batches while fewer than {@code orca.ingest.batch-concurrency} run and webhooks wait; each
   * finishing batch calls this again. Concurrent batches hold webhooks that were in flight at the same
   * time, which have no order among themselves; a key's queued rows still go first (see the insert).
   */
  private void drain() {
    while (!queue.isEmpty()) {
      int running = inFlight.get();
      if (running >= maxInFlight) {
        return;
      }
      if (!inFlight.compareAndSet(running, running + 1)) {
        continue;
      }
      List<Pending> batch = new ArrayList<>();
      for (Pending p; batch.size() < maxBatch && (p = queue.poll()) != null; ) {
        batch.add(p);
      }
      if (batch.isEmpty()) {
        inFlight.decrementAndGet();
        continue;
      }
      pending.addAndGet(-batch.size());
      process(batch)
          .onErrorResume(e -> {
            log.error("Webhook batch failed unexpectedly", e);
            batch.forEach(p -> p.complete(Outcome.UNAVAILABLE));
            return Mono.empty();
          })
          .doFinally(signal -> {
            inFlight.decrementAndGet();
            drain();
          })
          .subscribe();
    }
  }

  /** What one batch learnt, kept for the answers and for the fallback. */
  private static final class BatchState {
    final List<Pending> unique;
    Map<String, Long> recorded; // delivery key -> row id; null until the statement succeeded
    Set<Long> acked = Set.of();
    Set<Long> queued = Set.of();

    BatchState(List<Pending> unique) {
      this.unique = unique;
    }
  }

  private Mono<Void> process(List<Pending> batch) {
    // The same delivery twice in one batch (a provider retrying at once): the later one is a duplicate.
    Map<String, Pending> firsts = new HashMap<>();
    List<Pending> unique = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      if (firsts.putIfAbsent(deliveryKey(p.record()), p) == null) {
        unique.add(p);
      } else {
        p.complete(Outcome.DUPLICATE);
      }
    }
    BatchState state = new BatchState(unique);
    List<OutgoingRecord> records = unique.stream().map(Pending::record).toList();
    boolean direct = sender.available();
    return (direct ? outbox.record(records, lease) : outbox.queue(records))
        .collectList()
        // Two replicas inserting the same deliveries in different orders can deadlock: once more.
        .retryWhen(Retry.max(1).filter(IngestPipeline::isDeadlock))
        .flatMap(rows -> {
          Map<String, WebhookOutbox.Recorded> byKey = new HashMap<>();
          rows.forEach(row -> byKey.put(row.source().id() + '\u0000' + row.deliveryId(), row));
          Map<String, Long> ids = new HashMap<>();
          List<StoredRecord> now = new ArrayList<>();
          List<StoredRecord> behind = new ArrayList<>();
          for (Pending p : unique) {
            WebhookOutbox.Recorded row = byKey.get(deliveryKey(p.record()));
            if (row != null) {
              ids.put(deliveryKey(p.record()), row.id());
              (row.behind() ? behind : now).add(new StoredRecord(row.id(), p.record()));
            }
          }
          state.recorded = ids;
          if (!direct) {
            state.queued = new HashSet<>(ids.values());
            return Mono.empty();
          }
          return publish(now, behind, state);
        })
        .then(Mono.<Void>fromRunnable(() -> answer(state)))
        .onErrorResume(e -> state.recorded == null ? fallback(state, e) : Mono.fromRunnable(() -> answer(state)));
  }

  /**
   * Sends the leased rows; what the broker acknowledged is marked published (in the background: the
   * answer needs the acknowledgement, not the mark, and the lease keeps the relay and redeliveries off
   * meanwhile); what it did not, and the rows behind a queued one, get their payloads stored for the
   * relay before the webhooks are answered.
   */
  private Mono<Void> publish(List<StoredRecord> now, List<StoredRecord> behind, BatchState state) {
    return sender.sendNow(now)
        .onErrorResume(e -> Mono.just(List.of()))
        .flatMap(acked -> {
          state.acked = new HashSet<>(acked);
          if (!acked.isEmpty()) {
            outbox.markPublished(acked)
                .retryWhen(Retry.backoff(2, Duration.ofMillis(200)))
                .subscribe(v -> {}, e -> log.warn("Could not mark {} published webhooks ({}); a redelivery of one "
                    + "would be published again once its lease ends", acked.size(), e.toString()));
          }
          List<StoredRecord> waiting = new ArrayList<>(behind);
          now.stream().filter(r -> !state.acked.contains(r.id())).forEach(waiting::add);
          return outbox.store(waiting).collectList()
              .doOnNext(stored -> state.queued = new HashSet<>(stored))
              .onErrorResume(e -> {
                log.warn("Could not queue {} webhooks Kafka did not take ({}); answering 503", waiting.size(), e.toString());
                return Mono.empty();
              })
              .then();
        });
  }

  private void answer(BatchState state) {
    if (databaseDown.compareAndSet(true, false)) {
      log.info("PostgreSQL reachable again: webhooks are de-duplicated again");
    }
    boolean queued = false;
    for (Pending p : state.unique) {
      Long id = state.recorded.get(deliveryKey(p.record()));
      if (id == null) {
        p.complete(Outcome.DUPLICATE);
      } else if (state.acked.contains(id)) {
        metrics.published(p.record().source(), System.nanoTime() - p.startNanos());
        p.complete(Outcome.PUBLISHED);
      } else if (state.queued.contains(id)) {
        queued = true;
        p.complete(Outcome.QUEUED);
      } else {
        p.complete(Outcome.UNAVAILABLE); // neither acknowledged nor stored
      }
    }
    if (queued) {
      relay.wake();
    }
  }

  /**
   * The insert failed (PostgreSQL unreachable): nothing is recorded, so the batch is sent directly,
   * without de-duplication, if Kafka takes it.
   */
  private Mono<Void> fallback(BatchState state, Throwable failure) {
    if (databaseDown.compareAndSet(false, true)) {
      log.warn("PostgreSQL unavailable ({}): publishing webhooks without de-duplication", failure.toString());
    }
    List<Pending> retrying = state.unique;
    List<StoredRecord> retry = new ArrayList<>(retrying.size());
    for (int i = 0; i < retrying.size(); i++) {
      retry.add(new StoredRecord(i, retrying.get(i).record())); // no row: the position stands in for its id
    }
    return sender.sendNow(retry)
        .onErrorResume(e -> Mono.just(List.of()))
        .doOnNext(acked -> {
          Set<Long> ok = new HashSet<>(acked);
          for (int i = 0; i < retrying.size(); i++) {
            Pending p = retrying.get(i);
            if (ok.contains(retry.get(i).id())) {
              metrics.published(p.record().source(), System.nanoTime() - p.startNanos());
              p.complete(Outcome.PUBLISHED);
            } else {
              p.complete(Outcome.UNAVAILABLE);
            }
          }
        })
        .then();
  }

  private static String deliveryKey(OutgoingRecord record) {
    return record.source().id() + '\u0000' + record.deliveryId();
  }

  private static boolean isDeadlock(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof R2dbcException r && "40P01".equals(r.getSqlState())) {
        return true;
      }
    }
    return false;
  }
}
