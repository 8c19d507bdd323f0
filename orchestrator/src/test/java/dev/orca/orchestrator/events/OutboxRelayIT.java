package dev.orca.orchestrator.events;

import static dev.orca.orchestrator.events.KafkaRecords.header;
import static dev.orca.orchestrator.events.KafkaRecords.sequence;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.testsupport.TestKafka;
import java.io.IOException;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OutboxRelayIT {
  private final List<AutoCloseable> cleanUp = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = cleanUp.size() - 1; i >= 0; i--) {
      cleanUp.get(i).close();
    }
  }

  @Test
  void publishesRowsInOrderAsCloudEventsAndMarksThemPublished() throws Exception {
    OutboxDatabase db = database("relay_order");
    String topic = "orca.executions.test-" + UUID.randomUUID();
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    Map<Long, String> types = new LinkedHashMap<>();
    Map<Long, UUID> executions = new HashMap<>();
    // Before the relay starts: found by its first pass.
    insert(db, a, "dev.orca.execution.started", types, executions);
    insert(db, b, "dev.orca.execution.started", types, executions);
    insert(db, a, "dev.orca.step.started", types, executions);

    // A poll interval too long to matter: later rows must be found through pg_notify.
    OutboxRelay relay = relay(db, TestKafka.get().bootstrapServers(), topic, Duration.ofMinutes(10), Duration.ofSeconds(30));
    relay.start();
    assertThat(relay.isRunning()).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> db.count("published_at IS NULL") == 0);

    insert(db, a, "dev.orca.step.completed", types, executions);
    insert(db, b, "dev.orca.step.started", types, executions);
    insert(db, a, "dev.orca.execution.completed", types, executions);
    insert(db, b, "dev.orca.execution.failed", types, executions);
    await().atMost(Duration.ofSeconds(30)).until(() -> db.count("published_at IS NULL") == 0);
    assertThat(db.count("published_at IS NOT NULL")).isEqualTo(7);

    List<ConsumerRecord<String, byte[]>> records = KafkaRecords.read(TestKafka.get().bootstrapServers(), topic, 7, Duration.ofSeconds(1));
    assertThat(records).hasSize(7);
    Map<Long, Instant> createdAt = createdAt(db);
    for (ConsumerRecord<String, byte[]> record : records) {
      long id = sequence(record);
      UUID execution = executions.get(id);
      assertThat(record.key()).isEqualTo(execution.toString());
      assertThat(header(record, "ce_specversion")).isEqualTo("1.0");
      assertThat(header(record, "ce_id")).isEqualTo(execution + "-" + id);
      assertThat(header(record, "ce_source")).isEqualTo("/orca/orchestrator");
      assertThat(header(record, "ce_type")).isEqualTo(types.get(id));
      assertThat(header(record, "ce_subject")).isEqualTo(execution.toString());
      assertThat(OffsetDateTime.parse(header(record, "ce_time")).toInstant()).isEqualTo(createdAt.get(id));
      assertThat(header(record, "content-type")).isEqualTo("application/json");
      assertThat(OutboxDatabase.JSON.readTree(record.value()))
          .isEqualTo(OutboxDatabase.JSON.readTree(payload(execution, types.get(id))));
    }
    // One execution's events in one partition, in outbox order.
    for (UUID execution : List.of(a, b)) {
      List<Long> expected = executions.entrySet().stream().filter(e -> e.getValue().equals(execution))
          .map(Map.Entry::getKey).sorted().toList();
      List<ConsumerRecord<String, byte[]>> ofExecution =
          records.stream().filter(r -> r.key().equals(execution.toString())).toList();
      assertThat(ofExecution.stream().map(KafkaRecords::sequence).toList()).isEqualTo(expected);
      assertThat(ofExecution.stream().map(ConsumerRecord::partition).distinct()).hasSize(1);
    }
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.get().bootstrapServers()))) {
      assertThat(admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions())
          .hasSize(3);
    }

    CountDownLatch stopped = new CountDownLatch(1);
    relay.stop(stopped::countDown);
    assertThat(stopped.await(20, TimeUnit.SECONDS)).as("the relay stopped").isTrue();
    assertThat(relay.isRunning()).isFalse();
  }

  @Test
  void afterAPassTheRelayRestsAndEverythingNotifiedMeanwhileGoesOutInOnePass() throws Exception {
    OutboxDatabase db = database("relay_pace");
    String topic = "orca.executions.test-" + UUID.randomUUID();
    OutboxRelay relay = relay(db, TestKafka.get().bootstrapServers(), topic, Duration.ofMinutes(10), Duration.ofSeconds(30),
        Duration.ofSeconds(5));
    relay.start();
    long first = db.insert(UUID.randomUUID(), "dev.orca.execution.started", payload(UUID.randomUUID(), "dev.orca.execution.started"));
    await().atMost(Duration.ofSeconds(30)).until(() -> db.count("published_at IS NULL") == 0);

    // Each notified on its own while the relay rests after publishing the first: one pass takes both.
    UUID b = UUID.randomUUID();
    UUID c = UUID.randomUUID();
    long second = db.insert(b, "dev.orca.execution.started", payload(b, "dev.orca.execution.started"));
    long third = db.insert(c, "dev.orca.execution.started", payload(c, "dev.orca.execution.started"));
    await().atMost(Duration.ofSeconds(30)).until(() -> db.count("published_at IS NULL") == 0);

    Map<Long, Instant> publishedAt = publishedAt(db);
    assertThat(publishedAt.get(second)).as("published in the same transaction").isEqualTo(publishedAt.get(third));
    assertThat(publishedAt.get(second)).isAfter(publishedAt.get(first));
    assertThat(KafkaRecords.read(TestKafka.get().bootstrapServers(), topic, 3, Duration.ofSeconds(1))).hasSize(3);
  }

  @Test
  void twoRelaysOnOneDatabasePublishNothingTwiceAndKeepEachExecutionInOrder() {
    OutboxDatabase db = database("relay_two");
    String topic = "orca.executions.test-" + UUID.randomUUID();
    String kafka = TestKafka.get().bootstrapServers();
    OutboxRelay first = relay(db, kafka, topic, Duration.ofMillis(100), Duration.ofSeconds(30));
    OutboxRelay second = relay(db, kafka, topic, Duration.ofMillis(100), Duration.ofSeconds(30));
    first.start();
    second.start();

    List<UUID> runs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      runs.add(UUID.randomUUID());
    }
    // 1000 events, 5 per transaction, executions interleaved, written while both relays run.
    for (int round = 0; round < 10; round++) {
      for (UUID execution : runs) {
        db.insert(execution, List.of("dev.orca.step.started", "dev.orca.step.completed", "dev.orca.step.started",
            "dev.orca.step.retrying", "dev.orca.step.completed"), payload(execution, "dev.orca.step.started"));
      }
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> db.count("published_at IS NULL") == 0);
    assertThat(db.count("true")).isEqualTo(1000);

    List<ConsumerRecord<String, byte[]>> records = KafkaRecords.read(kafka, topic, 1000, Duration.ofSeconds(3));
    assertThat(records).hasSize(1000);
    assertThat(records.stream().map(r -> header(r, "ce_id")).distinct()).hasSize(1000);
    Map<String, List<Long>> byExecution = records.stream().collect(Collectors.groupingBy(ConsumerRecord::key,
        LinkedHashMap::new, Collectors.mapping(KafkaRecords::sequence, Collectors.toList())));
    assertThat(byExecution).hasSize(20);
    byExecution.forEach((execution, sequences) ->
        assertThat(sequences).as("events of %s", execution).hasSize(50).isSorted().doesNotHaveDuplicates());
  }

  @Test
  void keepsEveryRowWhileTheBrokerIsUnreachableAndPublishesThemWhenItAnswers() throws Exception {
    OutboxDatabase db = database("relay_outage");
    String topic = "orca.executions.test-" + UUID.randomUUID();
    int port = freePort();
    String kafka = "localhost:" + port;
    OutboxRelay relay = relay(db, kafka, topic, Duration.ofMillis(200), Duration.ofSeconds(3));
    relay.start();
    UUID a = UUID.randomUUID();
    UUID b = UUID.randomUUID();
    List<Long> ids = new ArrayList<>();
    for (String type : List.of("dev.orca.execution.started", "dev.orca.step.started", "dev.orca.step.completed")) {
      ids.add(db.insert(a, type, payload(a, type)));
      ids.add(db.insert(b, type, payload(b, type)));
    }

    // Nothing listens on the port: every attempt fails, nothing is marked, nothing is lost.
    await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8))
        .until(() -> db.count("published_at IS NULL") == 6);

    // Now the address answers: it leads to the real broker.
    String real = TestKafka.get().bootstrapServers().split(",")[0];
    TcpForwarder forwarder = new TcpForwarder(port, real.substring(0, real.lastIndexOf(':')),
        Integer.parseInt(real.substring(real.lastIndexOf(':') + 1)));
    cleanUp.add(forwarder);

    // The same relay, still retrying, publishes everything once the broker answers.
    await().atMost(Duration.ofSeconds(60)).until(() -> db.count("published_at IS NULL") == 0);
    List<ConsumerRecord<String, byte[]>> records = KafkaRecords.read(kafka, topic, 6, Duration.ofSeconds(1));
    assertThat(records.stream().map(KafkaRecords::sequence).sorted().toList()).isEqualTo(ids);
    for (UUID execution : List.of(a, b)) {
      assertThat(records.stream().filter(r -> r.key().equals(execution.toString())).map(KafkaRecords::sequence).toList())
          .hasSize(3).isSorted();
    }
  }

  @Test
  void aBatchTheBrokerRefusesStaysUnpublishedUntilItIsAccepted() throws Exception {
    OutboxDatabase db = database("relay_refused");
    String kafka = TestKafka.get().bootstrapServers();
    String topic = "orca.executions.test-" + UUID.randomUUID();
    ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka))) {
      // The topic exists but takes no record this large: every send fails after the rows were claimed.
      admin.createTopics(List.of(new NewTopic(topic, Optional.of(3), Optional.empty())
          .configs(Map.of("max.message.bytes", "256")))).all().get(30, TimeUnit.SECONDS);
      OutboxRelay relay = relay(db, kafka, topic, Duration.ofMillis(200), Duration.ofSeconds(6));
      relay.start();
      UUID execution = UUID.randomUUID();
      String large = "{\"executionId\":\"" + execution + "\",\"note\":\"" + "x".repeat(600) + "\"}";
      List<Long> ids = db.insert(execution, List.of("dev.orca.execution.started", "dev.orca.step.started",
          "dev.orca.step.completed", "dev.orca.execution.completed"), large);

      // Claimed, sent, refused, rolled back: still unpublished, again and again.
      await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(8))
          .until(() -> db.count("published_at IS NULL") == 4);

      admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
          new ConfigEntry("max.message.bytes", "1048588"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(60)).until(() -> db.count("published_at IS NULL") == 0);

      List<ConsumerRecord<String, byte[]>> records = KafkaRecords.read(kafka, topic, 4, Duration.ofSeconds(1));
      assertThat(records.stream().map(KafkaRecords::sequence).toList()).isEqualTo(ids);
    }
  }

  private OutboxDatabase database(String prefix) {
    OutboxDatabase db = new OutboxDatabase(prefix);
    cleanUp.add(db);
    return db;
  }

  /** A relay as one orchestrator process has it: its own LISTEN connection and Kafka producer. */
  private OutboxRelay relay(OutboxDatabase db, String kafka, String topic, Duration pollInterval, Duration sendTimeout) {
    return relay(db, kafka, topic, pollInterval, sendTimeout, Duration.ofMillis(50));
  }

  private OutboxRelay relay(OutboxDatabase db, String kafka, String topic, Duration pollInterval, Duration sendTimeout,
      Duration pace) {
    KafkaExecutionEventPublisher publisher = new KafkaExecutionEventPublisher(kafka, topic, sendTimeout, OutboxDatabase.JSON);
    cleanUp.add(publisher::destroy);
    OutboxRelay relay = new OutboxRelay(db.outbox, publisher, db.notifications(), db.pool, pollInterval,
        pace, Duration.ofMillis(100), Duration.ofSeconds(1));
    cleanUp.add(() -> {
      CountDownLatch stopped = new CountDownLatch(1);
      relay.stop(stopped::countDown);
      stopped.await(20, TimeUnit.SECONDS);
    });
    return relay;
  }

  private static void insert(OutboxDatabase db, UUID execution, String type, Map<Long, String> types, Map<Long, UUID> executions) {
    long id = db.insert(execution, type, payload(execution, type));
    types.put(id, type);
    executions.put(id, execution);
  }

  static String payload(UUID execution, String type) {
    return "{\"executionId\":\"" + execution + "\",\"workflow\":\"deploy\",\"workflowVersion\":2,\"status\":\""
        + type.substring(type.lastIndexOf('.') + 1) + "\"}";
  }

  private static Map<Long, Instant> createdAt(OutboxDatabase db) throws SQLException {
    return times(db, "created_at");
  }

  private static Map<Long, Instant> publishedAt(OutboxDatabase db) throws SQLException {
    return times(db, "published_at");
  }

  private static Map<Long, Instant> times(OutboxDatabase db, String column) throws SQLException {
    Map<Long, Instant> result = new HashMap<>();
    try (Connection c = db.db.connect(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, " + column + " FROM execution_outbox")) {
      while (rs.next()) {
        result.put(rs.getLong(1), rs.getObject(2, OffsetDateTime.class).toInstant());
      }
    }
    return result;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
