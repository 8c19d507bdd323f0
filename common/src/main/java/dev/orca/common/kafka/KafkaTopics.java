package dev.orca.common.kafka;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Creating a service's topics when they are missing, without blocking the caller's thread. */
public final class KafkaTopics {
  private static final Logger log = LoggerFactory.getLogger(KafkaTopics.class);

  private KafkaTopics() {}

  /**
   * Creates those of {@code names} that do not exist yet, with {@code partitions} partitions,
   * replication min(3, brokers) and the given topic configs; an existing topic is left as it is.
   * Completes when every topic exists, errors when the brokers cannot be reached within {@code timeout}.
   */
  public static Mono<Void> createIfMissing(String bootstrapServers, Duration timeout, List<String> names, int partitions,
      Map<String, String> configs) {
    Map<String, Object> config = Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    return Mono.usingWhen(
        // Creating a client resolves addresses: not on the caller's (possibly event-loop) thread.
        Mono.fromCallable(() -> Admin.create(config)).subscribeOn(Schedulers.boundedElastic()),
        admin -> Mono.fromCompletionStage(() -> admin.describeCluster().nodes().toCompletionStage())
            .flatMapMany(nodes -> Flux.fromIterable(names).flatMap(name -> {
              short replication = (short) Math.max(1, Math.min(3, nodes.size()));
              NewTopic topic = new NewTopic(name, partitions, replication).configs(configs);
              return Mono.fromCompletionStage(() -> admin.createTopics(List.of(topic)).all().toCompletionStage())
                  .doOnSuccess(v -> log.info("Created Kafka topic {} ({} partitions, replication {})", name, partitions, replication))
                  .onErrorResume(KafkaTopics::topicExists, e -> Mono.empty());
            }))
            .then(),
        admin -> Mono.<Void>fromRunnable(() -> admin.close(Duration.ZERO)).subscribeOn(Schedulers.boundedElastic()));
  }

  private static boolean topicExists(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TopicExistsException) {
        return true;
      }
    }
    return false;
  }
}
