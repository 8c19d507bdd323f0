package dev.orca.testsupport;

/** A Kafka broker named by {@code ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS}. */
final class ExternalKafka implements ServerProvider<String> {
  private final String bootstrapServers;

  ExternalKafka(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  @Override
  public String description() {
    return "the broker at ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS=" + bootstrapServers;
  }

  @Override
  public StartedServer<String> start() throws Exception {
    String clusterId = KafkaProbe.clusterId(bootstrapServers);
    return new StartedServer<>(bootstrapServers, "cluster " + clusterId, () -> {});
  }
}
