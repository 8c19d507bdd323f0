package dev.orca.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class TestKafkaIT {

  @Test
  void sourceIsReportedAndGetIsShared() {
    assertThat(TestKafka.get()).isSameAs(TestKafka.get());
    assertThat(TestKafka.get().source()).isIn("external", "testcontainers", "embedded");
    assertThat(TestKafka.get().bootstrapServers()).contains(":");
  }

  @Test
  void createTopicMakesTheRequestedPartitionsAndIsIdempotent() throws Exception {
    String topic = "test-support.partitions." + UUID.randomUUID();
    TestKafka.get().createTopic(topic, 3);
    TestKafka.get().createTopic(topic, 3);
    try (Admin admin = KafkaProbe.admin(TestKafka.get().bootstrapServers())) {
      assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()).hasSize(3);
    }
  }

  @Test
  void producedRecordIsConsumedBack() throws Exception {
    String topic = "test-support.roundtrip." + UUID.randomUUID();
    String servers = TestKafka.get().bootstrapServers();
    TestKafka.get().createTopic(topic, 1);

    RecordMetadata sent;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
      sent = producer.send(new ProducerRecord<>(topic, "key-1", "hello orca")).get();
    }
    assertThat(sent.topic()).isEqualTo(topic);

    List<ConsumerRecord<String, String>> received = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
        ConsumerConfig.GROUP_ID_CONFIG, "test-support-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (received.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(received::add);
      }
    }
    assertThat(received).hasSize(1);
    assertThat(received.get(0).key()).isEqualTo("key-1");
    assertThat(received.get(0).value()).isEqualTo("hello orca");
  }
}
