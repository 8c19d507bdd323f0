package dev.orca.orchestrator.trigger;

import dev.orca.common.startup.OrcaProperties;
import dev.orca.common.kafka.KafkaTopics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.kafka.receiver.KafkaReceiver;
import reactor.kafka.receiver.ReceiverOptions;
import reactor.kafka.receiver.ReceiverRecord;
import reactor.util.retry.Retry;
import tools.jackson.databind.ObjectMapper;

/**
 * The consumer group over the webhook topics (DESIGN §6, §10). Records of one partition are handled
 * in order, in batches of those waiting (up to {@code batchSize}), partitions in parallel; a record's offset
 * is acknowledged, and so committed, only after its effect is durable ({@link EventTrigger}), so a crash or
 * rebalance redelivers it and the unique keys make that harmless. An undecodable record, or one the database refuses as data, goes to the dead-letter topic
 * and consumption goes on; while the database is unreachable the record is retried with back-off.
 */
@Component
@ConditionalOnProperty(name = "orca.triggers.enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(TriggerProperties.class)
class TriggerConsumer implements SmartLifecycle {
  private static final Logger log = LoggerFactory.getLogger(TriggerConsumer.class);
  private static final Duration MIN_BACKOFF = Duration.ofMillis(200);
  static final Duration COMMIT_INTERVAL = Duration.ofMillis(100);

  private final TriggerProperties properties;
  private final String bootstrapServers;
  private final EventTrigger trigger;
  private final WebhookDecoder decoder;
  private final MeterRegistry metrics;
  private final Mono<Void> beforeCommit;
  private DeadLetters deadLetters;
  private volatile Disposable running;

  @Autowired
  TriggerConsumer(TriggerProperties properties, OrcaProperties orca, EventTrigger trigger, ObjectMapper json,
      MeterRegistry metrics) {
    this(properties, orca.kafka().bootstrapServers(), trigger, new WebhookDecoder(json), metrics, Mono.empty());
  }

  /** {@code beforeCommit} runs between a record's effect and its commit (tests stop a consumer there). */
  TriggerConsumer(TriggerProperties properties, String bootstrapServers, EventTrigger trigger, WebhookDecoder decoder,
      MeterRegistry metrics, Mono<Void> beforeCommit) {
    this.properties = properties;
    this.bootstrapServers = bootstrapServers;
    this.trigger = trigger;
    this.decoder = decoder;
    this.metrics = metrics;
    this.beforeCommit = beforeCommit;
  }

  private ReceiverOptions<byte[], byte[]> options() {
    Map<String, Object> consumer = new HashMap<>();
    consumer.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    consumer.put(ConsumerConfig.GROUP_ID_CONFIG, properties.groupId());
    consumer.put(ConsumerConfig.CLIENT_ID_CONFIG, "orca-orchestrator-triggers");
    // A new group starts at the beginning: webhooks accepted before the first orchestrator started still count.
    consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumer.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumer.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    // Raw bytes: decoding happens per record, so a bad one becomes a dead letter instead of a poll error.
    consumer.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    consumer.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return ReceiverOptions.<byte[], byte[]>create(consumer)
        .subscription(properties.topics())
        .addAssignListener(partitions -> log.info("Triggers consume {}", partitions))
        .commitInterval(COMMIT_INTERVAL);
  }

  @Override
  public synchronized void start() {
    deadLetters = new DeadLetters(bootstrapServers, properties.deadLetterTopic(), Duration.ofSeconds(30));
    List<String> topics = new ArrayList<>(properties.topics());
    topics.add(properties.deadLetterTopic());
    running = KafkaTopics.createIfMissing(bootstrapServers, Duration.ofSeconds(10), topics, properties.partitions(), Map.of())
        .thenMany(KafkaReceiver.create(options()).receive())
        .groupBy(record -> record.receiverOffset().topicPartition())
        // In order within a partition; the records that arrived while a batch was handled form the next one.
        .flatMap(partition -> partition.bufferTimeout(properties.batchSize(), properties.batchWait(), true)
            .concatMap(this::process))
        .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1)).maxBackoff(properties.maxBackoff())
            .doBeforeRetry(s -> log.warn("Trigger consumer failed, restarting: {}", s.failure().toString())))
        .subscribe();
    log.info("Triggers consume {} as group {}", properties.topics(), properties.groupId());
  }

  /**
   * A partition's waiting records together: dead letters for the undecodable ones, the events' effects in one
   * transaction ({@link EventTrigger#handleAll}), then their commit. When the database refuses the batch as data,
   * each event is handled alone, so only the one it refuses becomes a dead letter.
   */
  private Mono<Void> process(List<ReceiverRecord<byte[], byte[]>> batch) {
    List<ReceiverRecord<byte[], byte[]>> records = new ArrayList<>();
    List<WebhookEvent> events = new ArrayList<>();
    Mono<Void> deadLetters = Mono.empty();
    for (ReceiverRecord<byte[], byte[]> record : batch) {
      WebhookDecoder.Decoded decoded = decoder.decode(record);
      if (decoded instanceof WebhookDecoder.Decoded.Undecodable bad) {
        deadLetters = deadLetters.then(retried(Mono.defer(() -> deadLetter(record, "undecodable", bad.reason())), List.of(record)));
      } else {
        records.add(record);
        events.add(((WebhookDecoder.Decoded.Event) decoded).event());
      }
    }
    Mono<Void> effects = events.isEmpty() ? Mono.empty() : retried(Mono.defer(() -> trigger.handleAll(events))
        .doOnNext(outcomes -> {
          for (int i = 0; i < outcomes.size(); i++) {
            count(events.get(i).source(), outcomes.get(i));
          }
        })
        .then()
        .onErrorResume(EventTrigger::refusedAsData, e -> Flux.range(0, events.size())
            .concatMap(i -> retried(effect(records.get(i), events.get(i)), List.of(records.get(i))))
            .then()), records);
    return deadLetters.then(effects)
        .then(beforeCommit)
        // Acknowledged only now; acknowledged offsets are committed every COMMIT_INTERVAL and when partitions are
        // revoked or the consumer closes, so no broker round trip sits between one batch and the next. A crash
        // before that commit redelivers records whose effects are done, which the unique keys absorb.
        .then(Mono.fromRunnable(() -> batch.forEach(record -> record.receiverOffset().acknowledge())));
  }

  /** Retried with back-off while the database (or the broker, for a dead letter) is unreachable. */
  private Mono<Void> retried(Mono<Void> effect, List<? extends ConsumerRecord<?, ?>> records) {
    ConsumerRecord<?, ?> first = records.get(0);
    return effect.retryWhen(Retry.backoff(Long.MAX_VALUE, MIN_BACKOFF).maxBackoff(properties.maxBackoff())
        .doBeforeRetry(s -> log.warn("{} at {}-{}@{} not stored yet, retrying: {}",
            records.size() == 1 ? "Event" : records.size() + " events", first.topic(), first.partition(), first.offset(),
            s.failure().toString())));
  }

  /** One event alone: its effect, or a dead letter when the database refuses it as data. */
  private Mono<Void> effect(ConsumerRecord<byte[], byte[]> record, WebhookEvent event) {
    return Mono.defer(() -> trigger.handle(event))
        .doOnNext(outcome -> count(event.source(), outcome))
        .then()
        .onErrorResume(EventTrigger::refusedAsData,
            e -> deadLetter(record, event.source(), "the database refused the event: " + EventTrigger.databaseReason(e)));
  }

  private Mono<Void> deadLetter(ConsumerRecord<byte[], byte[]> record, String source, String reason) {
    log.warn("Dead-lettering {}-{}@{} to {}: {}", record.topic(), record.partition(), record.offset(),
        deadLetters.topic(), reason);
    return deadLetters.send(record, reason).doOnSuccess(v -> count(source, "dead_letter"));
  }

  private void count(String source, EventTrigger.Outcome outcome) {
    count(source, outcome.redelivery() ? "redelivery" : outcome.status());
  }

  private void count(String source, String outcome) {
    Counter.builder("orca.trigger.events").tags("source", source, "outcome", outcome).register(metrics).increment();
  }

  @Override
  public synchronized void stop() {
    Disposable subscription = running;
    running = null;
    if (subscription != null) {
      subscription.dispose();
    }
    if (deadLetters != null) {
      deadLetters.close();
      deadLetters = null;
    }
  }

  @Override
  public boolean isRunning() {
    return running != null;
  }
}
