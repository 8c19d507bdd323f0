package dev.orca.orchestrator.events;

import dev.orca.common.kafka.KafkaTopics;
import dev.orca.common.startup.OrcaProperties;
import dev.orca.orchestrator.engine.ExecutionEvent;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.kafka.CloudEventSerializer;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.kafka.sender.KafkaSender;
import reactor.kafka.sender.SenderOptions;
import reactor.kafka.sender.SenderRecord;
import tools.jackson.databind.ObjectMapper;

/**
 * Publishes execution events to {@code orca.executions} as CloudEvents 1.0 in binary mode, keyed by
 * execution id: {@code ce_id} {@code <executionId>-<sequence>} (stable across redeliveries, so
 * consumers de-duplicate by it), {@code ce_source} {@code /orca/orchestrator}, {@code ce_type} the
 * event type, {@code ce_subject} the execution id, {@code ce_time}, {@code content-type:
 * application/json}, the event's data as the value. The one class here that knows reactor-kafka.
 */
@Component
public class KafkaExecutionEventPublisher implements DisposableBean {
  public static final URI SOURCE = URI.create("/orca/orchestrator");
  static final int PARTITIONS = 3;

  private final String bootstrapServers;
  private final String topic;
  private final ObjectMapper json;
  private final Duration requestTimeout;
  private final KafkaSender<String, CloudEvent> sender;
  private final Mono<Void> topicReady;

  @Autowired
  public KafkaExecutionEventPublisher(OrcaProperties properties, ObjectMapper json,
      @Value("${orca.kafka.topics.executions:orca.executions}") String topic,
      @Value("${orca.outbox.send-timeout:30s}") Duration sendTimeout) {
    this(properties.kafka().bootstrapServers(), topic, sendTimeout, json);
  }

  /** {@code sendTimeout}: how long one publish may take before it fails (and is retried later). */
  public KafkaExecutionEventPublisher(String bootstrapServers, String topic, Duration sendTimeout, ObjectMapper json) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.json = json;
    this.requestTimeout = sendTimeout.dividedBy(3);
    Map<String, Object> producer = new HashMap<>();
    producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    producer.put(ProducerConfig.CLIENT_ID_CONFIG, "orca-orchestrator-executions");
    producer.put(ProducerConfig.ACKS_CONFIG, "all");
    producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producer.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    producer.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    producer.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) sendTimeout.toMillis());
    producer.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
    producer.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, requestTimeout.toMillis());
    producer.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    producer.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, CloudEventSerializer.class);
    producer.put(CloudEventSerializer.ENCODING_CONFIG, Encoding.BINARY);
    this.sender = KafkaSender.create(SenderOptions.<String, CloudEvent>create(producer).stopOnError(true));
    // Created once; a failure is not remembered, so the next publish tries again.
    this.topicReady = Mono.defer(this::createTopicIfMissing)
        .cache(v -> Duration.ofMillis(Long.MAX_VALUE), e -> Duration.ZERO, () -> Duration.ofMillis(Long.MAX_VALUE));
  }

  public String topic() {
    return topic;
  }

  /** Creates the topic if missing ({@value #PARTITIONS} partitions, replication min(3, brokers)); done once. */
  public Mono<Void> ensureTopic() {
    return topicReady;
  }

  /** Sends the events in order; completes when the broker acknowledged every one, else errors. */
  public Mono<Void> publish(List<ExecutionEvent> events) {
    if (events.isEmpty()) {
      return Mono.empty();
    }
    Flux<SenderRecord<String, CloudEvent, Long>> records = Flux.fromIterable(events)
        .map(event -> SenderRecord.create(new ProducerRecord<>(topic, null, event.at().toEpochMilli(),
            event.executionId().toString(), cloudEvent(event)), event.sequence()));
    return ensureTopic().then(sender.send(records)
        .doOnNext(result -> {
          if (result.exception() != null) {
            throw new IllegalStateException("Kafka refused event " + result.correlationMetadata(), result.exception());
          }
        })
        // The producer is created on first use, which may block: keep that off event-loop threads.
        .subscribeOn(Schedulers.boundedElastic())
        .then());
  }

  /** The CloudEvent for an execution event (binary mode puts its attributes in {@code ce_*} headers). */
  CloudEvent cloudEvent(ExecutionEvent event) {
    return CloudEventBuilder.v1()
        .withId(event.executionId() + "-" + event.sequence())
        .withSource(SOURCE)
        .withType(event.type())
        .withSubject(event.executionId().toString())
        .withTime(event.at().atOffset(ZoneOffset.UTC))
        .withDataContentType("application/json")
        .withData(json.writeValueAsBytes(event.data()))
        .build();
  }

  private Mono<Void> createTopicIfMissing() {
    return KafkaTopics.createIfMissing(bootstrapServers, requestTimeout, List.of(topic), PARTITIONS, Map.of());
  }

  @Override
  public void destroy() {
    sender.close();
  }
}
