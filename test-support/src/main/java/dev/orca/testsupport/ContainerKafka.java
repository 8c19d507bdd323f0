package dev.orca.testsupport;

import org.testcontainers.kafka.KafkaContainer;

/** A KRaft Kafka broker in a Testcontainers container ({@value #IMAGE}, or {@code ORCA_TEST_KAFKA_IMAGE}). */
final class ContainerKafka implements ServerProvider<String> {
  static final String IMAGE = "apache/kafka:4.1.0";
  private final String image;

  ContainerKafka(String image) {
    this.image = image == null ? IMAGE : image;
  }

  @Override
  public String description() {
    return "Testcontainers (" + image + ")";
  }

  @Override
  public StartedServer<String> start() throws Exception {
    KafkaContainer container = new KafkaContainer(image)
        .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true")
        .withEnv("KAFKA_NUM_PARTITIONS", "1");
    try {
      container.start();
      String bootstrapServers = container.getBootstrapServers();
      KafkaProbe.clusterId(bootstrapServers);
      return new StartedServer<>(bootstrapServers, "testcontainers " + image, container::stop);
    } catch (Exception e) {
      container.stop();
      throw e;
    }
  }
}
