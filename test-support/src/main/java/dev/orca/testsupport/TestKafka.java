package dev.orca.testsupport;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real Kafka broker, started once per test JVM and shared by every test class.
 *
 * <p>The broker is, in order: the one named by {@code ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS}; a Testcontainers
 * {@code apache/kafka} broker when Docker answers; an in-process KRaft broker. {@code ORCA_TEST_SERVERS} forces
 * one path. When none works, {@link #get()} throws saying why and what to set; it never skips.
 */
public final class TestKafka {
  private static final OnceStarted<TestKafka> shared = new OnceStarted<>(() -> start(System.getenv(), DockerProbe::available));

  private final String bootstrapServers;
  private final Source source;

  private TestKafka(String bootstrapServers, Source source) {
    this.bootstrapServers = bootstrapServers;
    this.source = source;
  }

  /** The shared broker; starts it on first use, or fails saying why no broker could be had. */
  public static TestKafka get() {
    return shared.get();
  }

  private static TestKafka start(Map<String, String> env, BooleanSupplier docker) {
    ServerStarter.Outcome<String> outcome = ServerStarter.start(ServerKind.KAFKA, env, docker,
        source -> switch (source) {
          case EXTERNAL -> new ExternalKafka(SourcePlan.valueOf(env, "ORCA_TEST_KAFKA_BOOTSTRAP_SERVERS"));
          case TESTCONTAINERS -> new ContainerKafka(SourcePlan.valueOf(env, "ORCA_TEST_KAFKA_IMAGE"));
          case EMBEDDED -> new EmbeddedKraftKafka();
        },
        servers -> servers);
    return new TestKafka(outcome.server().endpoint(), outcome.source());
  }

  /** Which path provided the broker: {@code external}, {@code testcontainers} or {@code embedded}. */
  public String source() {
    return source.label();
  }

  /** The {@code bootstrap.servers} value for clients, e.g. {@code localhost:39145}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * Creates a topic with the broker's default replication, waiting until it exists; a topic that already exists
   * is left as it is.
   */
  public void createTopic(String name, int partitions) {
    try (Admin admin = KafkaProbe.admin(bootstrapServers)) {
      admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty())))
          .all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("Could not create topic " + name + " on " + bootstrapServers + ": " + e.getCause(), e);
      }
    } catch (TimeoutException e) {
      throw new IllegalStateException("Creating topic " + name + " on " + bootstrapServers + " timed out after 30 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted while creating topic " + name, e);
    }
  }
}
