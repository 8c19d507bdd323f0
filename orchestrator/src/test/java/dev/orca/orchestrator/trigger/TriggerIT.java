package dev.orca.orchestrator.trigger;

import static dev.orca.orchestrator.trigger.WebhookRecords.JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.testmcp.LocalMcpServer;
import dev.orca.orchestrator.testmcp.ToolScript;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestKafka;
import dev.orca.testsupport.TestPostgres;
import io.cloudevents.CloudEvent;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Webhook CloudEvents on Kafka, produced as event-ingest does, start workflows: routing by subscription
 * and by a repository's auto_workflows, filters, redelivery, dead letters and a restart before commit,
 * against a real broker, PostgreSQL and engine (tools served by a local MCP server).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TriggerIT {
  static final TestDatabase db = TestPostgres.get().freshDatabase("triggers");
  static final LocalMcpServer mcp = LocalMcpServer.start();
  static final String PREFIX = "it-triggers-" + UUID.randomUUID().toString().substring(0, 8);
  static final String GITHUB = PREFIX + ".github";
  static final String LINEAR = PREFIX + ".linear";
  static final String DLQ = PREFIX + ".dlq";
  static final String GROUP = PREFIX + "-group";
  /** Seed 004's issue_to_pr definition, as written. */
  static final JsonNode SEED_004 = WebhookRecords.resource("/workflows/seed-004.json");

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    OrcaTestProperties.registerKafka(registry);
    TestKafka.get().createTopic(GITHUB, 3);
    TestKafka.get().createTopic(LINEAR, 3);
    registry.add("orca.api.tokens", () -> "test-token");
    registry.add("orca.gateway.url", mcp::url);
    registry.add("orca.engine.poll-interval", () -> "1s");
    registry.add("orca.triggers.topics", () -> GITHUB + "," + LINEAR);
    registry.add("orca.triggers.dead-letter-topic", () -> DLQ);
    registry.add("orca.triggers.group-id", () -> GROUP);
  }

  @AfterAll
  static void stop() {
    mcp.close();
    producer.close();
  }

  static final KafkaProducer<String, CloudEvent> producer = WebhookRecords.producer(TestKafka.get().bootstrapServers());

  @LocalServerPort int port;
  @Autowired EventTrigger trigger;
  @Autowired ObjectMapper json;
  @Autowired MeterRegistry meters;
  WebTestClient http;

  @BeforeEach
  void client() {
    http = WebTestClient.bindToServer().baseUrl("http://localhost:" + port)
        .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer test-token")
        .responseTimeout(Duration.ofSeconds(30))
        .build();
    mcp.tool("github.getIssue", args -> Mono.just(ToolScript.structured(JSON.createObjectNode()
        .put("number", args.path("number").asInt()).put("title", "Spelling error in the README file").put("state", "open"))));
    mcp.tool("github.createBranch", ToolScript.echo());
  }

  @Test
  void aSubscriptionStartsSeedIssueToPrWithTheEventAndRepoInItsContext() throws Exception {
    String repo = "sub-" + suffix();
    createWorkflow("issue_to_pr_" + repo.replace('-', '_'), SEED_004);
    String workflow = "issue_to_pr_" + repo.replace('-', '_');
    post("/api/v1/subscriptions", JSON.createObjectNode()
        .put("name", repo).put("source", "github").put("eventTypePattern", "com.github.issues.*")
        .put("filterExpression", "payload.repository.name == '" + repo + "' && payload.issue.labels.exists(l, l.name == 'bug')")
        .put("workflow", workflow)
        .set("inputMapping", JSON.createObjectNode().put("issue_number", "${payload.issue.number}").put("who", "${payload.sender.login}")), 201);

    String delivery = WebhookRecords.newDeliveryId();
    WebhookRecords.send(producer, GITHUB, "Codertocat/" + repo,
        WebhookRecords.github("com.github.issues.opened", delivery, WebhookRecords.issueOpened("Codertocat", repo)));

    String execution = awaitOne("SELECT e.id FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id "
        + "WHERE v.delivery_id = '" + delivery + "'");
    assertThat(query("SELECT status FROM events WHERE delivery_id = '" + delivery + "'")).containsExactly("processed");
    assertThat(query("SELECT triggered_by FROM workflow_executions WHERE id = '" + execution + "'")).containsExactly("event");
    JsonNode context = JSON.readTree(query("SELECT context FROM workflow_executions WHERE id = '" + execution + "'").get(0));
    assertThat(context.path("input")).isEqualTo(JSON.readTree("{\"issue_number\": 1, \"who\": \"Codertocat\"}"));
    assertThat(context.path("event").path("type").asString()).isEqualTo("com.github.issues.opened");
    assertThat(context.path("event").path("deliveryId").asString()).isEqualTo(delivery);
    assertThat(context.path("event").path("payload").path("issue").path("title").asString()).isEqualTo("Spelling error in the README file");
    assertThat(context.path("repo")).isEqualTo(JSON.readTree("{\"owner\": \"Codertocat\", \"name\": \"" + repo
        + "\", \"full_name\": \"Codertocat/" + repo + "\", \"default_branch\": \"master\"}"));

    JsonNode done = awaitFinished(execution);
    assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("completed");
    JsonNode steps = done.path("steps");
    assertThat(steps.get(0).path("input")).isEqualTo(JSON.readTree(
        "{\"owner\": \"Codertocat\", \"repo\": \"" + repo + "\", \"number\": 1}"));
    assertThat(steps.get(1).path("input")).isEqualTo(JSON.readTree(
        "{\"owner\": \"Codertocat\", \"repo\": \"" + repo + "\", \"branch\": \"fix/1\", \"from\": \"master\"}"));
    assertThat(meters.counter("orca.executions.started", "workflow", workflow, "trigger", "event").count()).isEqualTo(1.0);
  }

  @Test
  void aRegisteredRepositorysAutoWorkflowsRouteByGithubEventName() throws Exception {
    String repo = "auto-" + suffix();
    String workflow = "auto_" + repo.replace('-', '_');
    createWorkflow(workflow, SEED_004);
    ObjectNode body = JSON.createObjectNode().put("owner", "Codertocat").put("name", repo).put("defaultBranch", "main");
    body.putObject("config").putObject("auto_workflows").put("issue_opened", workflow).put("issue_reopened", "no_such_workflow");
    post("/api/v1/repositories", body, 201);

    String delivery = WebhookRecords.newDeliveryId();
    WebhookRecords.send(producer, GITHUB, "Codertocat/" + repo,
        WebhookRecords.github("com.github.issues.opened", delivery, WebhookRecords.issueOpened("Codertocat", repo)));
    String execution = awaitOne("SELECT e.id FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id "
        + "WHERE v.delivery_id = '" + delivery + "'");
    JsonNode done = awaitFinished(execution);
    assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("completed");
    assertThat(done.path("input")).as("the default input of an issue event").isEqualTo(
        JSON.readTree("{\"action\": \"opened\", \"issue_number\": 1}"));
    assertThat(done.path("steps").get(1).path("input").path("from").asString())
        .as("the registered default branch wins over the payload's").isEqualTo("main");

    // Closing is not routed: ignored, nothing started.
    String closed = WebhookRecords.newDeliveryId();
    ObjectNode payload = WebhookRecords.issueOpened("Codertocat", repo).put("action", "closed");
    WebhookRecords.send(producer, GITHUB, "Codertocat/" + repo, WebhookRecords.github("com.github.issues.closed", closed, payload));
    awaitOne("SELECT status FROM events WHERE delivery_id = '" + closed + "' AND status <> 'processing'");
    assertThat(query("SELECT status FROM events WHERE delivery_id = '" + closed + "'")).containsExactly("ignored");

    // Reopening names a workflow that does not exist: failed, saying so.
    String reopened = WebhookRecords.newDeliveryId();
    WebhookRecords.send(producer, GITHUB, "Codertocat/" + repo, WebhookRecords.github("com.github.issues.reopened", reopened,
        WebhookRecords.issueOpened("Codertocat", repo).put("action", "reopened")));
    awaitOne("SELECT status FROM events WHERE delivery_id = '" + reopened + "' AND status <> 'processing'");
    assertThat(query("SELECT status || ': ' || error FROM events WHERE delivery_id = '" + reopened + "'")).containsExactly(
        "failed: auto_workflows of Codertocat/" + repo + ": there is no workflow named 'no_such_workflow'");
  }

  @Test
  void aFalseFilterIgnoresTheEventAndAFailingMappingFailsIt() throws Exception {
    String repo = "filter-" + suffix();
    String workflow = "wf_" + repo.replace('-', '_');
    createWorkflow(workflow, SEED_004);
    post("/api/v1/subscriptions", JSON.createObjectNode()
        .put("name", repo).put("source", "github").put("eventTypePattern", "com.github.*")
        .put("filterExpression", "payload.repository.name == '" + repo + "' && payload.issue.state == 'closed'")
        .put("workflow", workflow), 201);
    String delivery = WebhookRecords.newDeliveryId();
    WebhookRecords.send(producer, GITHUB, "Codertocat/" + repo,
        WebhookRecords.github("com.github.issues.opened", delivery, WebhookRecords.issueOpened("Codertocat", repo)));
    awaitOne("SELECT status FROM events WHERE delivery_id = '" + delivery + "' AND status <> 'processing'");
    assertThat(query("SELECT status FROM events WHERE delivery_id = '" + delivery + "'")).containsExactly("ignored");
    assertThat(query("SELECT count(*) FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id "
        + "WHERE v.delivery_id = '" + delivery + "'")).containsExactly("0");

    String mapped = repo + "-m";
    post("/api/v1/subscriptions", JSON.createObjectNode()
        .put("name", mapped).put("source", "github").put("eventTypePattern", "com.github.issues.opened")
        .put("filterExpression", "payload.repository.name == '" + mapped + "'")
        .put("workflow", workflow)
        .set("inputMapping", JSON.createObjectNode().put("milestone", "${payload.issue.no_such_field}")), 201);
    String failing = WebhookRecords.newDeliveryId();
    WebhookRecords.send(producer, GITHUB, "Codertocat/" + mapped,
        WebhookRecords.github("com.github.issues.opened", failing, WebhookRecords.issueOpened("Codertocat", mapped)));
    awaitOne("SELECT status FROM events WHERE delivery_id = '" + failing + "' AND status <> 'processing'");
    assertThat(query("SELECT status FROM events WHERE delivery_id = '" + failing + "'")).containsExactly("failed");
    assertThat(query("SELECT error FROM events WHERE delivery_id = '" + failing + "'").get(0))
        .contains("subscription '" + mapped + "'").contains("no_such_field");
  }

  @Test
  void theSameRecordDeliveredTwiceStartsOneExecution() throws Exception {
    String repo = "twice-" + suffix();
    String workflow = subscribedWorkflow(repo);
    String delivery = WebhookRecords.newDeliveryId();
    CloudEvent event = WebhookRecords.github("com.github.issues.opened", delivery, WebhookRecords.issueOpened("Codertocat", repo));
    WebhookRecords.send(producer, GITHUB, "Codertocat/" + repo, event);
    RecordMetadata second = WebhookRecords.send(producer, GITHUB, "Codertocat/" + repo, event);

    await().atMost(Duration.ofSeconds(60)).until(() ->
        WebhookRecords.committed(TestKafka.get().bootstrapServers(), GROUP, second) > second.offset());
    assertThat(query("SELECT count(*) FROM events WHERE delivery_id = '" + delivery + "'")).containsExactly("1");
    assertThat(query("SELECT count(*) FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id "
        + "WHERE v.delivery_id = '" + delivery + "'")).containsExactly("1");
    assertThat(meters.counter("orca.executions.started", "workflow", workflow, "trigger", "event").count()).isEqualTo(1.0);
  }

  @Test
  void anUndecodableRecordIsDeadLetteredAndTheNextOneStillProcessed() throws Exception {
    String repo = "dlq-" + suffix();
    subscribedWorkflow(repo);
    String key = "Codertocat/" + repo;
    RecordMetadata bad = WebhookRecords.sendRaw(TestKafka.get().bootstrapServers(), GITHUB, key,
        "this is not a CloudEvent".getBytes(StandardCharsets.UTF_8));
    String delivery = WebhookRecords.newDeliveryId();
    RecordMetadata good = WebhookRecords.send(producer, GITHUB, key,
        WebhookRecords.github("com.github.issues.opened", delivery, WebhookRecords.issueOpened("Codertocat", repo)));
    assertThat(good.partition()).as("same key, same partition: the good record comes after the bad one").isEqualTo(bad.partition());

    awaitOne("SELECT e.id FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id WHERE v.delivery_id = '" + delivery + "'");
    List<ConsumerRecord<byte[], byte[]>> letters = WebhookRecords.readAll(TestKafka.get().bootstrapServers(), DLQ, 1, Duration.ofSeconds(30));
    ConsumerRecord<byte[], byte[]> letter = letters.stream()
        .filter(r -> header(r, DeadLetters.OFFSET).equals(Long.toString(bad.offset()))
            && header(r, DeadLetters.PARTITION).equals(Integer.toString(bad.partition())))
        .findFirst().orElseThrow(() -> new AssertionError("no dead letter for the bad record in " + letters.size()));
    assertThat(new String(letter.value(), StandardCharsets.UTF_8)).isEqualTo("this is not a CloudEvent");
    assertThat(new String(letter.key(), StandardCharsets.UTF_8)).isEqualTo(key);
    assertThat(header(letter, DeadLetters.REASON)).startsWith("not a CloudEvent in binary mode");
    assertThat(header(letter, DeadLetters.TOPIC)).isEqualTo(GITHUB);
  }

  @Test
  void aConsumerStoppedAfterTheEffectButBeforeTheCommitStartsNothingNewOnRedelivery() throws Exception {
    String repo = "restart-" + suffix();
    String topic = PREFIX + ".restart." + repo;
    String group = PREFIX + "-restart-" + repo;
    TestKafka.get().createTopic(topic, 1);
    subscribedWorkflow(repo);
    TriggerProperties properties = new TriggerProperties(true, group, List.of(topic), DLQ, 1, Duration.ofSeconds(2), 100, Duration.ofMillis(1));
    String bootstrap = TestKafka.get().bootstrapServers();
    TriggerConsumer crashing = new TriggerConsumer(properties, bootstrap, trigger, new WebhookDecoder(json), meters, Mono.never());
    crashing.start();
    String delivery = WebhookRecords.newDeliveryId();
    RecordMetadata sent = WebhookRecords.send(producer, topic, "Codertocat/" + repo,
        WebhookRecords.github("com.github.issues.opened", delivery, WebhookRecords.issueOpened("Codertocat", repo)));
    String execution = awaitOne("SELECT e.id FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id "
        + "WHERE v.delivery_id = '" + delivery + "'");
    assertThat(WebhookRecords.committed(bootstrap, group, sent)).as("effect done, offset not committed").isLessThanOrEqualTo(sent.offset());
    crashing.stop();

    consumeUntilCommitted(properties, sent);
    assertThat(query("SELECT e.id FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id "
        + "WHERE v.delivery_id = '" + delivery + "'")).containsExactly(execution);
    assertThat(query("SELECT count(*) FROM events WHERE delivery_id = '" + delivery + "'")).containsExactly("1");
  }

  @Test
  void aBurstOfOneRepositorysEventsIsHandledInBatchesStartingEachOnceInOrder() throws Exception {
    String repo = "burst-" + suffix();
    String topic = PREFIX + ".burst." + repo;
    String group = PREFIX + "-burst-" + repo;
    TestKafka.get().createTopic(topic, 1);
    String workflow = subscribedWorkflow(repo);
    int events = 150;
    // The whole burst waits on the partition before the consumer starts, so it meets it as one backlog; the 10th
    // event is delivered twice in a row.
    RecordMetadata last = null;
    for (int i = 1; i <= events; i++) {
      ObjectNode payload = WebhookRecords.issueOpened("Codertocat", repo);
      ((ObjectNode) payload.get("issue")).put("number", i);
      CloudEvent event = WebhookRecords.github("com.github.issues.opened", WebhookRecords.newDeliveryId(), payload);
      last = WebhookRecords.send(producer, topic, "Codertocat/" + repo, event);
      if (i == 10) {
        last = WebhookRecords.send(producer, topic, "Codertocat/" + repo, event);
      }
    }
    consumeUntilCommitted(new TriggerProperties(true, group, List.of(topic), DLQ, 1, Duration.ofSeconds(2), 40, Duration.ofMillis(1)), last);

    String ofRepo = " FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id "
        + "WHERE v.payload -> 'repository' ->> 'name' = '" + repo + "'";
    assertThat(query("SELECT status || ' ' || count(*) FROM events WHERE payload -> 'repository' ->> 'name' = '" + repo
        + "' GROUP BY status")).containsExactly("processed " + events);
    assertThat(query("SELECT count(*) || ' ' || count(DISTINCT e.trigger_event_id)" + ofRepo))
        .containsExactly(events + " " + events);
    assertThat(meters.counter("orca.executions.started", "workflow", workflow, "trigger", "event").count()).isEqualTo(events);
    // Executions are created in the order of their events (the clock at each insert; the issue number only orders
    // the ties a coarse clock could leave).
    List<String> numbers = query("SELECT e.input ->> 'issue_number'" + ofRepo
        + " ORDER BY e.created_at, CAST(e.input ->> 'issue_number' AS int)");
    assertThat(numbers).containsExactlyElementsOf(IntStream.rangeClosed(1, events).mapToObj(Integer::toString).toList());
    // A batch's events rows are written by one transaction, so they share its start time.
    assertThat(Integer.parseInt(query("SELECT count(DISTINCT v.received_at)" + ofRepo).get(0)))
        .as("the backlog was handled in batches, each in one transaction").isLessThan(events);
  }

  @Test
  void twoConsumersHandlingTheSameBatchAtOnceStartEachEventOnce() throws Exception {
    String repo = "race-" + suffix();
    String workflow = subscribedWorkflow(repo);
    List<WebhookEvent> batch = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      ObjectNode payload = WebhookRecords.issueOpened("Codertocat", repo);
      ((ObjectNode) payload.get("issue")).put("number", i);
      batch.add(new WebhookEvent("github", "com.github.issues.opened", WebhookRecords.newDeliveryId(),
          "https://github.com/Codertocat/" + repo, "1", payload));
    }
    // What a rebalance can do: the old and the new owner of a partition handle the same records at the same time.
    List<List<EventTrigger.Outcome>> both = Flux.merge(trigger.handleAll(batch), trigger.handleAll(batch))
        .collectList().block(Duration.ofSeconds(120));

    assertThat(both).hasSize(2);
    for (int i = 0; i < batch.size(); i++) {
      EventTrigger.Outcome first = both.get(0).get(i);
      EventTrigger.Outcome second = both.get(1).get(i);
      assertThat(first.eventId()).isEqualTo(second.eventId());
      assertThat(first.started().size() + second.started().size()).as("event %d started once", i + 1).isEqualTo(1);
    }
    assertThat(query("SELECT status || ' ' || count(*) FROM events WHERE payload -> 'repository' ->> 'name' = '" + repo
        + "' GROUP BY status")).containsExactly("processed 20");
    assertThat(query("SELECT count(*) FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id "
        + "WHERE v.payload -> 'repository' ->> 'name' = '" + repo + "'")).containsExactly("20");
    assertThat(meters.counter("orca.executions.started", "workflow", workflow, "trigger", "event").count()).isEqualTo(20.0);
  }

  @Test
  void anEventRecordedButNotRoutedBeforeACrashIsRoutedOnRedelivery() throws Exception {
    String repo = "half-" + suffix();
    subscribedWorkflow(repo);
    String delivery = WebhookRecords.newDeliveryId();
    ObjectNode payload = WebhookRecords.issueOpened("Codertocat", repo);
    // What a consumer that died between storing the event and routing it leaves behind.
    try (Connection c = db.connect()) {
      var insert = c.prepareStatement("INSERT INTO events (source, event_type, delivery_id, payload, status) "
          + "VALUES ('github', 'com.github.issues.opened', ?, CAST(? AS jsonb), 'processing')");
      insert.setString(1, delivery);
      insert.setString(2, payload.toString());
      insert.executeUpdate();
    }
    WebhookRecords.send(producer, GITHUB, "Codertocat/" + repo, WebhookRecords.github("com.github.issues.opened", delivery, payload));
    awaitOne("SELECT e.id FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id WHERE v.delivery_id = '" + delivery + "'");
    assertThat(query("SELECT status FROM events WHERE delivery_id = '" + delivery + "'")).containsExactly("processed");
  }

  @Test
  void anEventTheDatabaseRefusesIsDeadLetteredAndConsumptionGoesOn() throws Exception {
    String repo = "nul-" + suffix();
    subscribedWorkflow(repo);
    ObjectNode payload = WebhookRecords.issueOpened("Codertocat", repo);
    ((ObjectNode) payload.get("issue")).put("title", "NUL " + (char) 0 + " here");
    String refused = WebhookRecords.newDeliveryId();
    RecordMetadata bad = WebhookRecords.send(producer, GITHUB, "Codertocat/" + repo,
        WebhookRecords.github("com.github.issues.opened", refused, payload));
    String delivery = WebhookRecords.newDeliveryId();
    WebhookRecords.send(producer, GITHUB, "Codertocat/" + repo,
        WebhookRecords.github("com.github.issues.opened", delivery, WebhookRecords.issueOpened("Codertocat", repo)));
    awaitOne("SELECT e.id FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id WHERE v.delivery_id = '" + delivery + "'");
    List<ConsumerRecord<byte[], byte[]>> letters = WebhookRecords.readAll(TestKafka.get().bootstrapServers(), DLQ, 2, Duration.ofSeconds(30));
    assertThat(letters).anySatisfy(letter -> {
      assertThat(header(letter, DeadLetters.OFFSET)).isEqualTo(Long.toString(bad.offset()));
      assertThat(header(letter, DeadLetters.PARTITION)).isEqualTo(Integer.toString(bad.partition()));
      assertThat(header(letter, "ce_id")).isEqualTo(refused);
      assertThat(header(letter, DeadLetters.REASON)).startsWith("the database refused the event: [22");
    });
    assertThat(query("SELECT count(*) FROM events WHERE delivery_id = '" + refused + "'")).containsExactly("0");
  }

  @Test
  void aLinearEventHasNoRepoAndTheDefaultInput() throws Exception {
    String name = "linear-" + suffix();
    String workflow = "wf_" + name.replace('-', '_');
    createWorkflow(workflow, JSON.readTree("""
        {"steps": [{"name": "echo", "tool": "github.createBranch",
          "params": {"title": "${event.payload.data.title}", "action": "${input.action}"}}]}"""));
    post("/api/v1/subscriptions", JSON.createObjectNode()
        .put("name", name).put("source", "linear").put("eventTypePattern", "com.linear.Issue.*")
        .put("filterExpression", "payload.data.identifier == 'ENG-123' && repo == null")
        .put("workflow", workflow), 201);
    String delivery = WebhookRecords.newDeliveryId();
    CloudEvent event = io.cloudevents.core.builder.CloudEventBuilder.v1()
        .withId(delivery).withType("com.linear.Issue.create").withSource(java.net.URI.create("https://linear.app/team/ENG"))
        .withDataContentType("application/json")
        .withData(JSON.writeValueAsBytes(WebhookRecords.payload("linear/issue-create.json")))
        .build();
    WebhookRecords.send(producer, LINEAR, "ENG", event);
    String execution = awaitOne("SELECT e.id FROM workflow_executions e JOIN events v ON v.id = e.trigger_event_id "
        + "WHERE v.delivery_id = '" + delivery + "'");
    JsonNode done = awaitFinished(execution);
    assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("completed");
    assertThat(done.path("steps").get(0).path("input")).isEqualTo(
        JSON.readTree("{\"title\": \"Login button does nothing\", \"action\": \"create\"}"));
  }

  // ---------------------------------------------------------------------------------------------

  private String subscribedWorkflow(String repo) {
    String workflow = "wf_" + repo.replace('-', '_');
    createWorkflow(workflow, SEED_004);
    post("/api/v1/subscriptions", JSON.createObjectNode()
        .put("name", repo).put("source", "github").put("eventTypePattern", "com.github.issues.opened")
        .put("filterExpression", "payload.repository.name == '" + repo + "'")
        .put("workflow", workflow), 201);
    return workflow;
  }

  /** Runs a consumer of its own (group and topics from {@code properties}) until {@code record} is committed. */
  private void consumeUntilCommitted(TriggerProperties properties, RecordMetadata record) {
    String bootstrap = TestKafka.get().bootstrapServers();
    TriggerConsumer consumer = new TriggerConsumer(properties, bootstrap, trigger, new WebhookDecoder(json), meters, Mono.empty());
    consumer.start();
    try {
      await().atMost(Duration.ofSeconds(120))
          .until(() -> WebhookRecords.committed(bootstrap, properties.groupId(), record) > record.offset());
    } finally {
      consumer.stop();
    }
  }

  private static int counter;

  private static synchronized String suffix() {
    return Integer.toString(++counter);
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    var h = record.headers().lastHeader(name);
    return h == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
  }

  private void createWorkflow(String name, JsonNode definition) {
    post("/api/v1/workflows", JSON.createObjectNode().put("name", name).set("definition", definition), 201);
  }

  private JsonNode post(String uri, JsonNode body, int status) {
    return JSON.readTree(http.post().uri(uri).contentType(MediaType.APPLICATION_JSON).bodyValue(body.toString())
        .exchange().expectStatus().isEqualTo(status).expectBody(String.class).returnResult().getResponseBody());
  }

  private JsonNode awaitFinished(String execution) {
    JsonNode[] last = new JsonNode[1];
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      last[0] = JSON.readTree(http.get().uri("/api/v1/executions/" + execution).exchange()
          .expectStatus().isOk().expectBody(String.class).returnResult().getResponseBody());
      return List.of("completed", "failed", "cancelled").contains(last[0].path("status").asString());
    });
    return last[0];
  }

  private static String awaitOne(String sql) {
    String[] found = new String[1];
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      List<String> rows = query(sql);
      found[0] = rows.isEmpty() ? null : rows.get(0);
      return found[0] != null;
    });
    return found[0];
  }

  private static List<String> query(String sql) throws Exception {
    return db.column(sql);
  }
}
