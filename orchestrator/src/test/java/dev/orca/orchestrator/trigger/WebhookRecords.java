package dev.orca.orchestrator.trigger;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.kafka.CloudEventSerializer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Webhook records as event-ingest publishes them (DESIGN §6: binary CloudEvents, raw body, keyed), and reading the results. */
final class WebhookRecords {
  static final JsonMapper JSON = JsonMapper.builder().build();

  private WebhookRecords() {}

  /** A recorded payload from {@code src/test/resources/webhooks/}. */
  static ObjectNode payload(String path) {
    return (ObjectNode) resource("/webhooks/" + path);
  }

  /** A JSON test resource, e.g. {@code /workflows/seed-004.json}. */
  static JsonNode resource(String path) {
    try (InputStream in = WebhookRecords.class.getResourceAsStream(path)) {
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** GitHub's {@code issues.opened} sample with the repository renamed to {@code owner/name}. */
  static ObjectNode issueOpened(String owner, String name) {
    ObjectNode payload = payload("github/issues-opened.json");
    ObjectNode repo = (ObjectNode) payload.get("repository");
    repo.put("name", name);
    repo.put("full_name", owner + "/" + name);
    ((ObjectNode) repo.get("owner")).put("login", owner);
    return payload;
  }

  static CloudEvent github(String type, String deliveryId, JsonNode payload) {
    String fullName = payload.path("repository").path("full_name").asString();
    return CloudEventBuilder.v1()
        .withId(deliveryId)
        .withType(type)
        .withSource(URI.create("https://github.com/" + fullName))
        .withSubject(payload.path("issue").path("number").asString())
        .withDataContentType("application/json")
        .withData(JSON.writeValueAsBytes(payload))
        .build();
  }

  static String newDeliveryId() {
    return UUID.randomUUID().toString();
  }

  static KafkaProducer<String, CloudEvent> producer(String bootstrapServers) {
    return new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, CloudEventSerializer.class,
        CloudEventSerializer.ENCODING_CONFIG, Encoding.BINARY));
  }

  /** Sends and waits for the broker's acknowledgement. */
  static RecordMetadata send(KafkaProducer<String, CloudEvent> producer, String topic, String key, CloudEvent event) {
    try {
      return producer.send(new ProducerRecord<>(topic, key, event)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends raw bytes (no CloudEvent headers) and waits for the acknowledgement. */
  static RecordMetadata sendRaw(String bootstrapServers, String topic, String key, byte[] value) {
    try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
      return raw.send(new ProducerRecord<>(topic, key.getBytes(), value)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The group's committed offset (the next record it will read) on the record's partition, or -1. */
  static long committed(String bootstrapServers, String group, RecordMetadata record) {
    TopicPartition tp = new TopicPartition(record.topic(), record.partition());
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
      OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
          .get(30, TimeUnit.SECONDS).get(tp);
      return offset == null ? -1 : offset.offset();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every record of a topic from the beginning, polling for up to {@code within}. */
  static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrapServers, String topic, int expected, Duration within) {
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<byte[], byte[]>> records = new java.util.ArrayList<>();
      long deadline = System.nanoTime() + within.toNanos();
      while (records.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      return records;
    }
  }
}
