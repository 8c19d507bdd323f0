package dev.orca.orchestrator.trigger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.kafka.sender.KafkaSender;
import reactor.kafka.sender.SenderOptions;
import reactor.kafka.sender.SenderRecord;

/**
 * Sends a record that cannot be handled to the dead-letter topic as it was (key, value, headers) plus
 * {@value #REASON}, {@value #TOPIC}, {@value #PARTITION} and {@value #OFFSET} headers, so it can be
 * inspected and replayed.
 */
final class DeadLetters implements AutoCloseable {
  static final String REASON = "orca_dlq_reason";
  static final String TOPIC = "orca_dlq_topic";
  static final String PARTITION = "orca_dlq_partition";
  static final String OFFSET = "orca_dlq_offset";

  private final String topic;
  private final KafkaSender<byte[], byte[]> sender;

  DeadLetters(String bootstrapServers, String topic, Duration timeout) {
    this.topic = topic;
    Map<String, Object> producer = new HashMap<>();
    producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    producer.put(ProducerConfig.CLIENT_ID_CONFIG, "orca-orchestrator-triggers-dlq");
    producer.put(ProducerConfig.ACKS_CONFIG, "all");
    producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producer.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    producer.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.dividedBy(3).toMillis());
    producer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.dividedBy(3).toMillis());
    producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    this.sender = KafkaSender.create(SenderOptions.<byte[], byte[]>create(producer));
  }

  String topic() {
    return topic;
  }

  /** Completes when the broker acknowledged the dead letter. */
  Mono<Void> send(ConsumerRecord<byte[], byte[]> record, String reason) {
    RecordHeaders headers = new RecordHeaders(record.headers().toArray());
    headers.add(REASON, utf8(reason));
    headers.add(TOPIC, utf8(record.topic()));
    headers.add(PARTITION, utf8(Integer.toString(record.partition())));
    headers.add(OFFSET, utf8(Long.toString(record.offset())));
    ProducerRecord<byte[], byte[]> letter = new ProducerRecord<>(topic, null, record.key(), record.value(), headers);
    return sender.send(Mono.just(SenderRecord.create(letter, record.offset())))
        .doOnNext(result -> {
          if (result.exception() != null) {
            throw new IllegalStateException("Kafka refused the dead letter", result.exception());
          }
        })
        // The producer is created on first use, which may block: keep that off event-loop threads.
        .subscribeOn(Schedulers.boundedElastic())
        .then();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    sender.close();
  }
}
