package dev.orca.local;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * An in-process single-node KRaft broker. Its logs live in a temporary directory removed on stop: topics and records do
 * not survive a restart (the services' state is in PostgreSQL).
 */
final class LocalKafka implements AutoCloseable {
  private final EmbeddedKafkaKraftBroker broker;
  private final String bootstrapServers;

  private LocalKafka(EmbeddedKafkaKraftBroker broker, String bootstrapServers) {
    this.broker = broker;
    this.bootstrapServers = bootstrapServers;
  }

  static LocalKafka start(int port, Path log) {
    EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
    // The test kit binds its EXTERNAL listener to a random port whatever kafkaPorts() says; a listener of our own,
    // LOCAL, takes the fixed port the services are given. EXTERNAL stays for the test kit's own admin client.
    broker.brokerProperties(Map.of(
        "listeners", "EXTERNAL://localhost:0,LOCAL://localhost:" + port + ",CONTROLLER://localhost:0",
        "listener.security.protocol.map", "EXTERNAL:PLAINTEXT,LOCAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "auto.create.topics.enable", "true",
        "num.partitions", "1",
        "offsets.topic.num.partitions", "1",
        "offsets.topic.replication.factor", "1",
        "transaction.state.log.replication.factor", "1",
        "transaction.state.log.min.isr", "1",
        "share.coordinator.state.topic.replication.factor", "1",
        "group.initial.rebalance.delay.ms", "0"));
    PrintStream console = System.out;
    try (PrintStream kafkaOut = new PrintStream(new FileOutputStream(log.toFile(), true), true, StandardCharsets.UTF_8)) {
      // The test kit prints its storage formatting to System.out; keep the console for the launcher's own lines.
      System.setOut(kafkaOut);
      broker.afterPropertiesSet();
    } catch (IOException | RuntimeException e) {
      try {
        broker.destroy();
      } catch (RuntimeException ignored) {
        // already failed
      }
      throw new LaunchException("Embedded Kafka did not start on port " + port + " (" + LocalPostgres.oneLine(e)
          + "); set ORCA_LOCAL_KAFKA_PORT to another port or ORCA_KAFKA_BOOTSTRAP_SERVERS to an external broker", e);
    } finally {
      System.setOut(console);
    }
    return new LocalKafka(broker, "localhost:" + port);
  }

  String bootstrapServers() {
    return bootstrapServers;
  }

  /** Checks that the first address in an external bootstrap list accepts TCP connections. */
  static void requireReachable(String bootstrapServers) {
    String first = bootstrapServers.split(",")[0].trim().replaceFirst("^[A-Za-z_]+://", "");
    int colon = first.lastIndexOf(':');
    int port;
    try {
      port = Integer.parseInt(first.substring(colon + 1));
    } catch (RuntimeException e) {
      throw new LaunchException("ORCA_KAFKA_BOOTSTRAP_SERVERS must list host:port pairs, not '" + bootstrapServers + "'");
    }
    String host = first.substring(0, colon).replace("[", "").replace("]", "");
    if (!Ports.answers(host, port, 3000)) {
      throw new LaunchException("Cannot reach the Kafka named by ORCA_KAFKA_BOOTSTRAP_SERVERS (" + first
          + "): start it, fix the variable, or unset it to use the embedded broker");
    }
  }

  @Override
  public void close() {
    broker.destroy();
  }
}
