package dev.orca.ingest;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads a topic from the beginning (all partitions) until what was read satisfies a condition. */
final class TopicReader implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final List<ConsumerRecord<String, byte[]>> read = new ArrayList<>();

  TopicReader(String bootstrapServers, String topic) {
    consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, "ingest-test-" + UUID.randomUUID(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> partitions = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (partitions.isEmpty()) {
      consumer.partitionsFor(topic, Duration.ofSeconds(10))
          .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
      if (System.nanoTime() > deadline) {
        throw new AssertionError("topic " + topic + " never appeared");
      }
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Polls until {@code done} holds for everything read so far, or fails after {@code timeout}. */
  List<ConsumerRecord<String, byte[]>> until(Predicate<List<ConsumerRecord<String, byte[]>>> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(read)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + timeout + "; read " + read.size() + " records: "
            + read.stream().map(TopicReader::id).toList());
      }
      consumer.poll(Duration.ofMillis(200)).forEach(read::add);
    }
    return List.copyOf(read);
  }

  /** Everything read so far that carries {@code ce_id}. */
  List<ConsumerRecord<String, byte[]>> withId(String ceId) {
    return read.stream().filter(r -> ceId.equals(id(r))).toList();
  }

  static boolean contains(List<ConsumerRecord<String, byte[]>> records, String ceId) {
    return records.stream().anyMatch(r -> ceId.equals(id(r)));
  }

  static String id(ConsumerRecord<String, byte[]> record) {
    return header(record, "ce_id");
  }

  static String header(ConsumerRecord<String, byte[]> record, String name) {
    Header header = record.headers().lastHeader(name);
    return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
