package dev.orca.testsupport;

import java.util.Map;
import org.apache.kafka.common.utils.AppInfoParser;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/** An in-process single-node KRaft broker from spring-kafka-test, on a free port. */
final class EmbeddedKraftKafka implements ServerProvider<String> {

  @Override
  public String description() {
    return "the embedded KRaft broker";
  }

  @Override
  public StartedServer<String> start() throws Exception {
    EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
    broker.brokerProperties(Map.of(
        "auto.create.topics.enable", "true",
        "num.partitions", "1",
        "offsets.topic.num.partitions", "1",
        "offsets.topic.replication.factor", "1",
        "transaction.state.log.replication.factor", "1",
        "transaction.state.log.min.isr", "1",
        "group.initial.rebalance.delay.ms", "0"));
    try {
      broker.afterPropertiesSet();
      String bootstrapServers = broker.getBrokersAsString();
      KafkaProbe.clusterId(bootstrapServers);
      return new StartedServer<>(bootstrapServers, "KRaft broker, Kafka " + AppInfoParser.getVersion(), broker::destroy);
    } catch (Exception | LinkageError e) {
      broker.destroy();
      throw e;
    }
  }
}
