package dev.orca.ingest.publish;

import dev.orca.common.kafka.KafkaTopics;
import dev.orca.common.startup.OrcaProperties;
import dev.orca.ingest.IngestProperties;
import dev.orca.ingest.Source;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Sends records to the {@code orca.webhooks.*} topics, a batch per Kafka transaction
 * ({@code acks=all}, idempotent): the direct lane for webhooks waiting for their answer, the relay's
 * lane for queued ones. Remembers whether Kafka is reachable: after a failed send,
 * new webhooks go straight to the outbox (no one waits for a timeout) until the relay gets through
 * again.
 */
@Component
public class KafkaWebhookSender implements DisposableBean {
  private static final Logger log = LoggerFactory.getLogger(KafkaWebhookSender.class);
  /** Room for the CloudEvent headers and the batch framing on top of the largest body. */
  private static final int RECORD_OVERHEAD = 64 * 1024;

  /** How long a queued record may take: generous, so the producer's own retries settle it, not an expiry. */
  static final Duration RELAY_DELIVERY_TIMEOUT = Duration.ofSeconds(60);

  private final String bootstrapServers;
  private final int partitions;
  private final int maxRecordBytes;
  private final TransactionalLane direct;
  private final TransactionalLane relay;
  private final Mono<Void> topicsReady;
  private final AtomicBoolean available = new AtomicBoolean(true);

  public KafkaWebhookSender(OrcaProperties orca, IngestProperties ingest) {
    this.bootstrapServers = orca.kafka().bootstrapServers();
    this.partitions = ingest.topicPartitions();
    this.maxRecordBytes = (int) Math.min(Integer.MAX_VALUE - RECORD_OVERHEAD, ingest.maxBodySize().toBytes()) + RECORD_OVERHEAD;
    // Webhooks waiting for their answer get publish-timeout; the relay's lane waits much longer, so a
    // slow broker is not mistaken for a failure.
    this.direct = new TransactionalLane("orca-event-ingest", bootstrapServers, ingest.publishTimeout(), maxRecordBytes,
        // batches that waited behind a failing one do not wait for their own timeout too
        () -> !available.get());
    this.relay = new TransactionalLane("orca-event-ingest-relay", bootstrapServers, RELAY_DELIVERY_TIMEOUT, maxRecordBytes,
        () -> false);
    // Created once; a failure is not remembered, so the next send tries again.
    this.topicsReady = Mono.defer(this::createTopicsIfMissing)
        .cache(v -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ofMillis(Long.MAX_VALUE));
  }

  /** Whether the last attempt reached the broker; false sends new webhooks straight to the outbox. */
  public boolean available() {
    return available.get();
  }

  void markAvailable() {
    if (available.compareAndSet(false, true)) {
      log.info("Kafka reachable again: publishing webhooks directly");
    }
  }

  void markUnavailable(Throwable cause) {
    if (available.compareAndSet(true, false)) {
      log.warn("Kafka not acknowledging ({}): queueing webhooks in the outbox until it is back", String.valueOf(cause));
    }
  }

  /**
   * Sends the records in order in one Kafka transaction; emits their ids if it committed, none if not
   * (then nothing of it is visible to {@code read_committed} consumers, and the sender is marked
   * unavailable).
   */
  Mono<List<Long>> sendNow(List<StoredRecord> records) {
    return send(direct, records);
  }

  /** As {@link #sendNow} for the relay: records already answered, so waiting longer costs nobody. */
  Mono<List<Long>> sendQueued(List<StoredRecord> records) {
    return send(relay, records);
  }

  private Mono<List<Long>> send(TransactionalLane lane, List<StoredRecord> records) {
    if (records.isEmpty()) {
      return Mono.just(List.of());
    }
    List<ProducerRecord<String, byte[]>> outgoing = records.stream().map(r -> producerRecord(r.record())).toList();
    return topicsReady
        .then(lane.send(outgoing))
        .map(committed -> {
          if (!committed) {
            markUnavailable(lane.lastFailure());
            return List.<Long>of();
          }
          return records.stream().map(StoredRecord::id).toList();
        })
        .doOnError(this::markUnavailable);
  }

  private static ProducerRecord<String, byte[]> producerRecord(OutgoingRecord record) {
    ProducerRecord<String, byte[]> out = new ProducerRecord<>(record.topic(), record.key(), record.value());
    record.headers().forEach((name, value) -> out.headers().add(new RecordHeader(name, value.getBytes(StandardCharsets.UTF_8))));
    return out;
  }

  /**
   * Creates the three topics if missing: {@code orca.ingest.topic-partitions} partitions, replication
   * min(3, brokers), {@code max.message.bytes} large enough for the largest accepted body.
   */
  private Mono<Void> createTopicsIfMissing() {
    return KafkaTopics.createIfMissing(bootstrapServers, direct.timeout().plusSeconds(2),
        Arrays.stream(Source.values()).map(Source::topic).toList(), partitions,
        Map.of("max.message.bytes", String.valueOf(maxRecordBytes)));
  }

  @Override
  public void destroy() {
    direct.close();
    relay.close();
  }
}
