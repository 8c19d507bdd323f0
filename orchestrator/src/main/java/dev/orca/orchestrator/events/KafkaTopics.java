package dev.orca.orchestrator.events;

import java.time.Duration;
import java.util.Collection;
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

/** Creates the topics the orchestrator publishes to or consumes when they are missing; existing ones are left alone. */
public final class KafkaTopics {
  private static final Logger log = LoggerFactory.getLogger(KafkaTopics.class);

  private KafkaTopics() {}

  /** Each missing topic with {@code partitions} partitions and replication min(3, brokers). */
  public static Mono<Void> createIfMissing(String bootstrapServers, Collection<String> topics, int partitions,
      Duration requestTimeout) {
    Map<String, Object> config = Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
    return Mono.usingWhen(
        // Creating a client resolves addresses: not on the caller's (possibly event-loop) thread.
        Mono.fromCallable(() -> Admin.create(config)).subscribeOn(Schedulers.boundedElastic()),
        admin -> Mono.fromCompletionStage(() -> admin.describeCluster().nodes().toCompletionStage())
            .flatMapMany(nodes -> {
              short replication = (short) Math.max(1, Math.min(3, nodes.size()));
              return Flux.fromIterable(topics).concatMap(topic ->
                  Mono.fromCompletionStage(() -> admin.createTopics(List.of(new NewTopic(topic, partitions, replication)))
                          .all().toCompletionStage())
                      .doOnSuccess(v -> log.info("Created Kafka topic {} ({} partitions, replication {})", topic, partitions, replication))
                      .onErrorResume(KafkaTopics::topicExists, e -> Mono.empty()));
            })
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
