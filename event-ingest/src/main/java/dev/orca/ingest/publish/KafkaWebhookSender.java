package dev.orca.ingest.publish;

import dev.orca.common.kafka.KafkaTopics;
import dev.orca.common.startup.OrcaProperties;
import dev.orca.ingest.IngestProperties;
import dev.orca.ingest.Source;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.kafka.sender.KafkaSender;
import reactor.kafka.sender.SenderOptions;
import reactor.kafka.sender.SenderRecord;

/**
 * Sends records to the {@code orca.webhooks.*} topics with {@code acks=all} and idempotence, and
 * reports which the broker acknowledged. Remembers whether Kafka is reachable: after a failed send,
 * new webhooks go straight to the outbox (no one waits for a timeout) until the relay gets through
 * again. The one class here that knows reactor-kafka.
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
  private final Channel direct;
  private final Channel relay;
  private final Mono<Void> topicsReady;
  private final AtomicBoolean available = new AtomicBoolean(true);

  /** One producer and how long a send on it may take. */
  private record Channel(KafkaSender<String, byte[]> sender, Duration timeout) {}

  public KafkaWebhookSender(OrcaProperties orca, IngestProperties ingest) {
    this.bootstrapServers = orca.kafka().bootstrapServers();
    this.partitions = ingest.topicPartitions();
    this.maxRecordBytes = (int) Math.min(Integer.MAX_VALUE - RECORD_OVERHEAD, ingest.maxBodySize().toBytes()) + RECORD_OVERHEAD;
    // Webhooks waiting for their answer get publish-timeout; the relay's producer waits much longer.
    // An expired record may still have reached the broker (its acknowledgement lost), and the relay
    // would then publish it a second time: a long timeout keeps that to real, lasting failures.
    this.direct = channel("orca-event-ingest", ingest.publishTimeout());
    this.relay = channel("orca-event-ingest-relay", RELAY_DELIVERY_TIMEOUT);
    // Created once; a failure is not remembered, so the next send tries again.
    this.topicsReady = Mono.defer(this::createTopicsIfMissing)
        .cache(v -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ofMillis(Long.MAX_VALUE));
  }

  private Channel channel(String clientId, Duration timeout) {
    int deliveryMs = (int) Math.max(timeout.toMillis(), 1000);
    Map<String, Object> producer = new HashMap<>();
    producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    producer.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    producer.put(ProducerConfig.ACKS_CONFIG, "all");
    producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producer.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    producer.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    producer.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    producer.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRecordBytes);
    producer.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, deliveryMs);
    producer.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(30_000, deliveryMs - 2));
    producer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (long) deliveryMs);
    producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    // The producer gives up first (delivery.timeout.ms); the Mono timeout is only a safety net.
    return new Channel(KafkaSender.create(SenderOptions.<String, byte[]>create(producer).stopOnError(false)),
        Duration.ofMillis(deliveryMs).plusSeconds(2));
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
      log.warn("Kafka not acknowledging ({}): queueing webhooks in the outbox until it is back", cause.toString());
    }
  }

  /**
   * Sends the records in order; emits the ids the broker acknowledged (in order). Records it refused
   * are left out (and the sender is marked unavailable); an error means none could be sent.
   */
  Mono<List<Long>> sendNow(List<StoredRecord> records) {
    return send(direct, records);
  }

  /** As {@link #sendNow} for the relay: records already answered, so waiting longer costs nobody. */
  Mono<List<Long>> sendQueued(List<StoredRecord> records) {
    return send(relay, records);
  }

  private Mono<List<Long>> send(Channel channel, List<StoredRecord> records) {
    if (records.isEmpty()) {
      return Mono.just(List.of());
    }
    Flux<SenderRecord<String, byte[], Long>> outgoing = Flux.fromIterable(records)
        .map(r -> SenderRecord.create(producerRecord(r.record()), r.id()));
    return topicsReady.then(channel.sender().send(outgoing)
            // reactor-kafka creates the producer and calls send() on its own thread, not the caller's.
            .collectList())
        .timeout(channel.timeout())
        .map(results -> {
          List<Long> acked = new ArrayList<>(results.size());
          Throwable refused = null;
          for (var result : results) {
            if (result.exception() == null) {
              acked.add(result.correlationMetadata());
            } else {
              refused = result.exception();
            }
          }
          if (refused != null) {
            markUnavailable(refused);
          }
          return acked;
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
    return KafkaTopics.createIfMissing(bootstrapServers, direct.timeout(),
        Arrays.stream(Source.values()).map(Source::topic).toList(), partitions,
        Map.of("max.message.bytes", String.valueOf(maxRecordBytes)));
  }

  @Override
  public void destroy() {
    direct.sender().close();
    relay.sender().close();
  }
}
