package dev.orca.orchestrator.execution;

import static dev.orca.orchestrator.execution.OrcaApiClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.testmcp.LocalMcpServer;
import dev.orca.orchestrator.testmcp.ToolScript;
import dev.orca.testsupport.OrcaTestProperties;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.orca.testsupport.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** The engine end to end: HTTP API → PostgreSQL → engine → MCP tool server, and back. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class EngineIT {
  static final TestDatabase db = TestPostgres.get().freshDatabase("engine");
  static final LocalMcpServer mcp = LocalMcpServer.start();
  static final AtomicInteger names = new AtomicInteger();

  @DynamicPropertySource
  static void servers(DynamicPropertyRegistry registry) {
    OrcaTestProperties.register(registry, db);
    OrcaTestProperties.registerKafka(registry);
    registry.add("orca.api.tokens", () -> OrcaApiClient.TOKEN);
    registry.add("orca.gateway.url", mcp::url);
    registry.add("orca.engine.poll-interval", () -> "1s");
  }

  @AfterAll
  static void stopServer() {
    mcp.close();
  }

  @LocalServerPort int port;
  OrcaApiClient api;

  @BeforeEach
  void client() {
    api = new OrcaApiClient(port);
  }

  private static String unique(String base) {
    return base + "-" + names.incrementAndGet();
  }

  @Test
  void runsThreeStepsWithInterpolationAndAssign() throws Exception {
    List<String> intentDuringCall = new java.util.concurrent.CopyOnWriteArrayList<>();
    mcp.tool("demo.fetchIssue", args -> Mono.<JsonNode>fromCallable(() -> {
          intentDuringCall.addAll(query("SELECT status || ' ' || params::text FROM mcp_tool_calls WHERE tool_name = 'fetchIssue'"));
          return ToolScript.structured(
              json("{'number': " + args.path("number").asInt() + ", 'title': 'Crash on start', 'labels': ['bug']}"));
        }).subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic()));
    mcp.tool("demo.createBranch", args -> Mono.just(ToolScript.text("{\"ref\": \"refs/heads/" + args.path("branch").asString() + "\"}")));
    mcp.tool("demo.comment", args -> Mono.just(ToolScript.text("commented: " + args.path("body").asString())));
    String wf = unique("issue-to-branch");
    api.createWorkflow(wf, json("""
        {'steps': [
          {'name': 'fetch', 'tool': 'demo.fetchIssue', 'params': {'number': '${input.issue}'}, 'assign': 'issue'},
          {'name': 'branch', 'tool': 'demo.createBranch', 'params': {'branch': 'fix/${issue.number}', 'labels': '${issue.labels}'}, 'assign': 'branch'},
          {'name': 'comment', 'tool': 'demo.comment', 'params': {'body': 'Branch ${branch.ref} for ${issue.title}'}, 'assign': 'note'}
        ]}"""));

    JsonNode started = api.start(wf, json("{'issue': 42}"));
    assertThat(started.path("status").asString()).isIn("pending", "running");
    JsonNode done = api.awaitFinished(started.path("id").asString());

    assertThat(done.path("status").asString()).isEqualTo("completed");
    JsonNode steps = done.path("steps");
    assertThat(steps).hasSize(3);
    assertThat(steps.get(0).path("input").path("number").isInt()).as("whole-value ${} keeps the JSON type").isTrue();
    assertThat(steps.get(1).path("input").path("branch").asString()).isEqualTo("fix/42");
    assertThat(steps.get(1).path("input").path("labels").isArray()).isTrue();
    assertThat(steps.get(2).path("input").path("body").asString()).isEqualTo("Branch refs/heads/fix/42 for Crash on start");
    for (JsonNode step : steps) {
      assertThat(step.path("status").asString()).isEqualTo("completed");
      assertThat(step.path("retryCount").asInt()).isZero();
      assertThat(step.path("durationMs").isNumber()).isTrue();
    }
    assertThat(steps.get(0).path("output").path("structuredContent").path("title").asString()).isEqualTo("Crash on start");
    assertThat(done.path("output").path("branch").path("ref").asString()).as("lone text block parsed as JSON").isEqualTo("refs/heads/fix/42");
    assertThat(done.path("output").path("note").asString()).isEqualTo("commented: Branch refs/heads/fix/42 for Crash on start");

    String id = done.path("id").asString();
    assertThat(intentDuringCall).as("the intent row is durable before the call").containsExactly("started {\"number\": 42}");
    assertThat(query("""
        SELECT c.attempt || ' ' || c.status || ' ' || c.outcome || ' ' || c.source || ' ' || (c.params = s.input)
               || ' ' || (c.result = s.output) || ' ' || (c.duration_ms = s.duration_ms)
        FROM mcp_tool_calls c JOIN workflow_steps s ON s.id = c.step_id
        WHERE c.execution_id = '%s' ORDER BY s.step_index""".formatted(id)))
        .as("one row per call, completed with the step's output in the step's transaction")
        .containsExactly("1 completed success orchestrator true true true", "1 completed success orchestrator true true true",
            "1 completed success orchestrator true true true");
    assertThat(query("SELECT event_type FROM execution_outbox WHERE execution_id = '" + id + "' ORDER BY id")).containsExactly(
        "dev.orca.execution.started",
        "dev.orca.step.started", "dev.orca.step.completed",
        "dev.orca.step.started", "dev.orca.step.completed",
        "dev.orca.step.started", "dev.orca.step.completed",
        "dev.orca.execution.completed");
    assertThat(mcp.calls()).anySatisfy(call ->
        assertThat(call.path("_meta").path("dev.orca/executionId").asString()).isEqualTo(id));
    JsonNode calls = OrcaApiClient.JSON.readTree(api.http().get().uri("/api/v1/executions/" + id + "/tool-calls")
        .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody());
    assertThat(calls).hasSize(3);
    assertThat(calls.get(0).path("stepName").asString()).isEqualTo("fetch");
    assertThat(calls.get(0).path("server").asString() + "." + calls.get(0).path("tool").asString()).isEqualTo("demo.fetchIssue");
    assertThat(calls.get(0).path("params").path("number").asInt()).isEqualTo(42);
    assertThat(calls.get(0).path("outcome").asString()).isEqualTo("success");
    assertThat(calls.get(2).path("result").path("content").get(0).path("text").asString()).startsWith("commented:");
  }

  @Test
  void skipsAStepWhoseWhenIsFalse() {
    mcp.tool("demo.status", args -> Mono.just(ToolScript.structured(json("{'state': 'closed'}"))));
    mcp.tool("demo.never", args -> Mono.error(new AssertionError("a skipped step must not call its tool")));
    String wf = unique("when-skip");
    api.createWorkflow(wf, OrcaApiClient.JSON.readTree("""
        {"steps": [
          {"name": "status", "tool": "demo.status", "params": {}, "assign": "issue"},
          {"name": "only_if_open", "tool": "demo.never", "params": {}, "when": "issue.state == 'open'"},
          {"name": "after", "tool": "demo.status", "params": {}}
        ]}"""));
    JsonNode done = api.awaitFinished(api.start(wf, json("{}")).path("id").asString());
    assertThat(done.path("status").asString()).isEqualTo("completed");
    assertThat(statuses(done)).containsExactly("completed", "skipped", "completed");
  }

  @Test
  void retriesATransportFailureThenSucceeds() throws Exception {
    mcp.tool("demo.flaky", ToolScript.failTimesThen(2, 503, ToolScript.text("ok")));
    String wf = unique("retry-ok");
    api.createWorkflow(wf, json("""
        {'steps': [{'name': 'flaky', 'tool': 'demo.flaky', 'params': {}, 'assign': 'r',
                    'retry': {'strategy': 'exponential', 'maxRetries': 3, 'initialDelayMs': 20, 'maxDelayMs': 100}}]}"""));
    JsonNode done = api.awaitFinished(api.start(wf, json("{}")).path("id").asString());
    assertThat(done.path("status").asString()).isEqualTo("completed");
    assertThat(done.path("steps").get(0).path("retryCount").asInt()).isEqualTo(2);
    assertThat(done.path("output").path("r").asString()).isEqualTo("ok");
    assertThat(query("SELECT count(*) FROM execution_outbox WHERE execution_id = '" + done.path("id").asString()
        + "' AND event_type = 'dev.orca.step.retrying'")).containsExactly("2");
    assertThat(callRows(done)).containsExactly("1 failed upstream_error", "2 failed upstream_error", "3 completed success");
  }

  @Test
  void failsWhenRetriesAreExhaustedRecordingTheLastError() throws Exception {
    mcp.tool("demo.down", ToolScript.httpStatus(503));
    mcp.tool("demo.unreached", args -> Mono.error(new AssertionError("no step may start after a failed one")));
    String wf = unique("retry-exhausted");
    api.createWorkflow(wf, json("""
        {'steps': [{'name': 'down', 'tool': 'demo.down', 'params': {},
                    'retry': {'strategy': 'fixed', 'maxRetries': 2, 'initialDelayMs': 10}},
                   {'name': 'next', 'tool': 'demo.unreached', 'params': {}}]}"""));
    JsonNode done = api.awaitFinished(api.start(wf, json("{}")).path("id").asString());
    assertThat(done.path("status").asString()).isEqualTo("failed");
    JsonNode step = done.path("steps").get(0);
    assertThat(step.path("status").asString()).isEqualTo("failed");
    assertThat(step.path("retryCount").asInt()).isEqualTo(2);
    assertThat(step.path("error").asString()).contains("attempt 3").contains("503");
    assertThat(done.path("error").asString()).contains("down");
    assertThat(done.path("steps").get(1).path("status").asString()).isEqualTo("pending");
    assertThat(callRows(done)).containsExactly("1 failed upstream_error", "2 failed upstream_error", "3 failed upstream_error");
  }

  @Test
  void aToolErrorFailsAtOnceWithoutRetrying() throws Exception {
    mcp.tool("demo.refuses", args -> Mono.just(ToolScript.toolError("repository is archived")));
    String wf = unique("tool-error");
    api.createWorkflow(wf, json("""
        {'steps': [{'name': 'refuse', 'tool': 'demo.refuses', 'params': {},
                    'retry': {'strategy': 'fixed', 'maxRetries': 3, 'initialDelayMs': 10}}]}"""));
    JsonNode done = api.awaitFinished(api.start(wf, json("{}")).path("id").asString());
    assertThat(done.path("status").asString()).isEqualTo("failed");
    assertThat(done.path("steps").get(0).path("retryCount").asInt()).isZero();
    assertThat(done.path("steps").get(0).path("error").asString()).contains("repository is archived");
    assertThat(callRows(done)).containsExactly("1 completed tool_error");
    assertThat(query("SELECT result->'content'->0->>'text' FROM mcp_tool_calls WHERE execution_id = '"
        + done.path("id").asString() + "'")).containsExactly("repository is archived");
  }

  @Test
  void aStepTimeoutDisposesTheCall() throws Exception {
    mcp.tool("demo.slow", ToolScript.never());
    String wf = unique("timeout");
    api.createWorkflow(wf, json("{'steps': [{'name': 'slow', 'tool': 'demo.slow', 'params': {}, 'timeoutMs': 300}]}"));
    int disconnectedBefore = mcp.disconnectedCalls();
    JsonNode done = api.awaitFinished(api.start(wf, json("{}")).path("id").asString());
    assertThat(done.path("status").asString()).isEqualTo("failed");
    assertThat(done.path("steps").get(0).path("error").asString()).contains("did not answer within 300 ms");
    assertThat(done.path("steps").get(0).path("retryCount").asInt()).as("timeouts retry under the default policy").isEqualTo(3);
    assertThat(callRows(done)).containsExactly("1 failed timeout", "2 failed timeout", "3 failed timeout", "4 failed timeout");
    await().atMost(Duration.ofSeconds(10)).until(() -> mcp.disconnectedCalls() > disconnectedBefore);
  }

  @Test
  void cancelDisposesTheRunningStepAndStartsNoOther() throws Exception {
    mcp.tool("demo.hang", ToolScript.never());
    mcp.tool("demo.after", args -> Mono.error(new AssertionError("no step may start after cancellation")));
    String wf = unique("cancel");
    api.createWorkflow(wf, json("""
        {'steps': [{'name': 'hang', 'tool': 'demo.hang', 'params': {}},
                   {'name': 'after', 'tool': 'demo.after', 'params': {}}]}"""));
    String id = api.start(wf, json("{}")).path("id").asString();
    api.awaitStepRunning(id, 0);
    int disconnectedBefore = mcp.disconnectedCalls();

    api.http().post().uri("/api/v1/executions/" + id + "/cancel").exchange().expectStatus().isAccepted();
    JsonNode done = api.awaitFinished(id);

    assertThat(done.path("status").asString()).isEqualTo("cancelled");
    assertThat(statuses(done)).containsExactly("cancelled", "cancelled");
    await().atMost(Duration.ofSeconds(10)).until(() -> mcp.disconnectedCalls() > disconnectedBefore);
    assertThat(query("SELECT status FROM mcp_tool_calls WHERE execution_id = '" + id + "'")).containsExactly("cancelled");
    api.http().post().uri("/api/v1/executions/" + id + "/cancel").exchange()
        .expectStatus().isEqualTo(HttpStatus.CONFLICT)
        .expectHeader().contentType("application/problem+json");
  }

  @Test
  void startIsIdempotentPerKey() {
    mcp.tool("demo.once", args -> Mono.just(ToolScript.text("done")));
    String wf = unique("idempotent");
    api.createWorkflow(wf, json("{'steps': [{'name': 'once', 'tool': 'demo.once', 'params': {}}]}"));
    JsonNode first = api.start(wf, json("{'n': 1}"), "key-1", HttpStatus.ACCEPTED);
    JsonNode again = api.start(wf, json("{'n': 2}"), "key-1", HttpStatus.OK);
    JsonNode other = api.start(wf, json("{'n': 3}"), "key-2", HttpStatus.ACCEPTED);
    assertThat(again.path("id").asString()).isEqualTo(first.path("id").asString());
    assertThat(again.path("input").path("n").asInt()).as("the existing execution, not the new input").isEqualTo(1);
    assertThat(other.path("id").asString()).isNotEqualTo(first.path("id").asString());
  }

  @Test
  void anExecutionKeepsItsVersionWhenTheWorkflowIsUpdated() {
    mcp.tool("demo.v1slow", ToolScript.delayed(Duration.ofMillis(800), ToolScript.text("v1")));
    mcp.tool("demo.v1next", args -> Mono.just(ToolScript.text("v1-next")));
    mcp.tool("demo.v2", args -> Mono.just(ToolScript.text("v2")));
    String wf = unique("versions");
    api.createWorkflow(wf, json("""
        {'steps': [{'name': 'first', 'tool': 'demo.v1slow', 'params': {}},
                   {'name': 'second', 'tool': 'demo.v1next', 'params': {}, 'assign': 'out'}]}"""));
    String id = api.start(wf, json("{}")).path("id").asString();
    api.awaitStepRunning(id, 0);
    api.updateWorkflow(wf, json("{'steps': [{'name': 'only', 'tool': 'demo.v2', 'params': {}, 'assign': 'out'}]}"));

    JsonNode done = api.awaitFinished(id);
    assertThat(done.path("workflowVersion").asInt()).isEqualTo(1);
    assertThat(done.path("output").path("out").asString()).isEqualTo("v1-next");
    JsonNode next = api.awaitFinished(api.start(wf, json("{}")).path("id").asString());
    assertThat(next.path("workflowVersion").asInt()).isEqualTo(2);
    assertThat(next.path("output").path("out").asString()).isEqualTo("v2");
  }

  @Test
  void aMissingPathAndAnAgentStepFailNamingTheCause() {
    mcp.tool("demo.ok", args -> Mono.just(ToolScript.structured(json("{'a': 1}"))));
    String wf = unique("missing-path");
    api.createWorkflow(wf, json("""
        {'steps': [{'name': 'get', 'tool': 'demo.ok', 'params': {}, 'assign': 'res'},
                   {'name': 'use', 'tool': 'demo.ok', 'params': {'x': '${res.b.c}'}}]}"""));
    JsonNode missing = api.awaitFinished(api.start(wf, json("{}")).path("id").asString());
    assertThat(missing.path("status").asString()).isEqualTo("failed");
    assertThat(missing.path("steps").get(1).path("error").asString()).contains("res.b.c");

    String agentWf = unique("agent");
    api.createWorkflow(agentWf, json("{'steps': [{'name': 'think', 'agent': 'code-planner', 'input': {}}]}"));
    JsonNode agent = api.awaitFinished(api.start(agentWf, json("{}")).path("id").asString());
    assertThat(agent.path("status").asString()).isEqualTo("failed");
    assertThat(agent.path("steps").get(0).path("error").asString()).contains("agent 'code-planner' is not registered");
  }

  @Test
  void apiErrorsAreProblemJson() {
    api.http().post().uri("/api/v1/workflows/no-such-workflow/executions").bodyValue("{}").header("Content-Type", "application/json")
        .exchange().expectStatus().isNotFound().expectHeader().contentType("application/problem+json")
        .expectBody().jsonPath("$.detail").isEqualTo("No workflow named 'no-such-workflow'.");
    api.http().get().uri("/api/v1/executions/00000000-0000-0000-0000-000000000000").exchange()
        .expectStatus().isNotFound().expectHeader().contentType("application/problem+json");
    api.http().get().uri("/api/v1/executions?status=done").exchange()
        .expectStatus().isBadRequest().expectHeader().contentType("application/problem+json");
    api.http().get().uri("/api/v1/executions").header("Authorization", "Bearer wrong").exchange()
        .expectStatus().isUnauthorized();
  }

  @Test
  void listsExecutionsNewestFirstWithACursor() {
    mcp.tool("demo.list", args -> Mono.just(ToolScript.text("x")));
    String wf = unique("listing");
    api.createWorkflow(wf, json("{'steps': [{'name': 's', 'tool': 'demo.list', 'params': {}}]}"));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(api.start(wf, json("{}")).path("id").asString());
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      String uri = "/api/v1/executions?workflow=" + wf + "&limit=2" + (cursor == null ? "" : "&cursor=" + cursor);
      JsonNode page = OrcaApiClient.JSON.readTree(api.http().get().uri(uri).exchange().expectStatus().isOk()
          .expectBody().returnResult().getResponseBody());
      page.path("items").forEach(item -> seen.add(item.path("id").asString()));
      cursor = page.path("nextCursor").isString() ? page.path("nextCursor").asString() : null;
    } while (cursor != null);
    assertThat(seen).containsExactlyInAnyOrderElementsOf(ids).doesNotHaveDuplicates();
  }

  @Test
  void streamsTransitionsAsServerSentEventsUntilTheEnd() {
    mcp.tool("demo.sse", ToolScript.delayed(Duration.ofMillis(200), ToolScript.text("ok")));
    String wf = unique("sse");
    api.createWorkflow(wf, json("{'steps': [{'name': 'a', 'tool': 'demo.sse', 'params': {}}, {'name': 'b', 'tool': 'demo.sse', 'params': {}}]}"));
    String id = api.start(wf, json("{}")).path("id").asString();

    List<ServerSentEvent<String>> events = api.http().get().uri("/api/v1/executions/" + id + "/events")
        .accept(MediaType.TEXT_EVENT_STREAM).exchange()
        .expectStatus().isOk()
        .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
        .getResponseBody().collectList().block(Duration.ofSeconds(30));

    assertThat(events).extracting(ServerSentEvent::event).containsExactly(
        "dev.orca.execution.started",
        "dev.orca.step.started", "dev.orca.step.completed",
        "dev.orca.step.started", "dev.orca.step.completed",
        "dev.orca.execution.completed");
    assertThat(OrcaApiClient.JSON.readTree(events.get(2).data()).path("step").path("name").asString()).isEqualTo("a");

    String resumeFrom = events.get(3).id();
    List<String> rest = api.http().get().uri("/api/v1/executions/" + id + "/events")
        .header("Last-Event-ID", resumeFrom).accept(MediaType.TEXT_EVENT_STREAM).exchange()
        .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
        .getResponseBody().map(ServerSentEvent::event).collectList().block(Duration.ofSeconds(30));
    assertThat(rest).containsExactly("dev.orca.step.completed", "dev.orca.execution.completed");

    api.http().get().uri("/api/v1/executions/00000000-0000-0000-0000-000000000000/events")
        .accept(MediaType.TEXT_EVENT_STREAM).exchange().expectStatus().isNotFound();
  }

  @Test
  void publishesEveryTransitionToKafkaAsCloudEventsKeyedByExecution() {
    mcp.tool("demo.kafka", args -> Mono.just(ToolScript.text("ok")));
    String wf = unique("kafka");
    api.createWorkflow(wf, json("{'steps': [{'name': 'only', 'tool': 'demo.kafka', 'params': {}}]}"));
    String id = api.awaitFinished(api.start(wf, json("{}")).path("id").asString()).path("id").asString();

    List<String> types = new ArrayList<>();
    Map<String, Object> config = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.get().bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "engine-it-" + id,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of("orca.executions"));
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (id.equals(r.key())) {
            assertThat(header(r, "ce_subject")).isEqualTo(id);
            assertThat(header(r, "ce_specversion")).isEqualTo("1.0");
            types.add(header(r, "ce_type"));
          }
        }
        return types.contains("dev.orca.execution.completed");
      });
    }
    assertThat(types).containsExactly("dev.orca.execution.started", "dev.orca.step.started",
        "dev.orca.step.completed", "dev.orca.execution.completed");
  }

  @Test
  void reportsDesignMetricsWithoutIdsInLabels() {
    mcp.tool("demo.metered", ToolScript.failTimesThen(1, 503, ToolScript.text("ok")));
    String wf = unique("metered");
    api.createWorkflow(wf, json("""
        {'steps': [{'name': 'm', 'tool': 'demo.metered', 'params': {},
                    'retry': {'strategy': 'fixed', 'maxRetries': 2, 'initialDelayMs': 10}}]}"""));
    api.awaitFinished(api.start(wf, json("{}")).path("id").asString());

    String metrics = api.http().get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
        .expectBody(String.class).returnResult().getResponseBody();
    String w = "workflow=\"" + wf + "\"";
    assertThat(metrics).containsPattern("orca_executions_started_total\\{[^}]*trigger=\"api\"[^}]*" + w + "[^}]*} 1.0")
        .containsPattern("orca_executions_finished_total\\{[^}]*status=\"completed\"[^}]*" + w + "[^}]*} 1.0")
        .containsPattern("orca_execution_duration_seconds_bucket\\{[^}]*" + w)
        .containsPattern("orca_steps_finished_total\\{[^}]*kind=\"tool\"[^}]*status=\"completed\"[^}]*" + w + "[^}]*} 1.0")
        .containsPattern("orca_step_duration_seconds_bucket\\{[^}]*kind=\"tool\"[^}]*" + w)
        .containsPattern("orca_step_retries_total\\{[^}]*" + w + "[^}]*} 1.0")
        .contains("orca_executions_active");
    assertThat(metrics.lines().filter(l -> l.startsWith("orca_")))
        .noneMatch(l -> l.matches(".*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}.*"));
  }

  @Test
  void aDisabledWorkflowCannotBeStarted() {
    String wf = unique("disabled");
    api.createWorkflow(wf, json("{'steps': [{'name': 's', 'tool': 'demo.any', 'params': {}}]}"));
    api.http().delete().uri("/api/v1/workflows/" + wf).exchange().expectStatus().isNoContent();
    api.http().post().uri("/api/v1/workflows/" + wf + "/executions").header("Content-Type", "application/json").bodyValue("{}")
        .exchange().expectStatus().isEqualTo(HttpStatus.CONFLICT)
        .expectHeader().contentType("application/problem+json")
        .expectBody().jsonPath("$.detail").value(d -> assertThat((String) d).contains("disabled"));
    api.http().post().uri("/api/v1/workflows/" + wf + "/executions").header("Content-Type", "application/json")
        .bodyValue("{\"input\": [1, 2]}")
        .exchange().expectStatus().isBadRequest().expectHeader().contentType("application/problem+json");
  }

  @Test
  void anExecutionTimeoutEndsItAndDisposesTheCall() throws Exception {
    mcp.tool("demo.forever", ToolScript.never());
    String wf = unique("execution-timeout");
    api.createWorkflow(wf, json("{'steps': [{'name': 'wait', 'tool': 'demo.forever', 'params': {}}]}"));
    int disconnectedBefore = mcp.disconnectedCalls();
    byte[] body = api.http().post().uri("/api/v1/workflows/" + wf + "/executions").header("Content-Type", "application/json")
        .bodyValue("{\"input\": {}, \"timeoutMs\": 400}").exchange().expectStatus().isAccepted()
        .expectBody().returnResult().getResponseBody();
    JsonNode done = api.awaitFinished(OrcaApiClient.JSON.readTree(body).path("id").asString());
    assertThat(done.path("status").asString()).isEqualTo("failed");
    assertThat(done.path("error").asString()).contains("execution timed out");
    await().atMost(Duration.ofSeconds(10)).until(() -> mcp.disconnectedCalls() > disconnectedBefore);
    assertThat(callRows(done)).containsExactly("1 failed timeout");
  }

  @Test
  void cancellingAnExecutionThatWaitsForARetryEndsItAtOnce() {
    mcp.tool("demo.unavailable", ToolScript.httpStatus(503));
    String wf = unique("cancel-waiting");
    api.createWorkflow(wf, json("""
        {'steps': [{'name': 'try', 'tool': 'demo.unavailable', 'params': {},
                    'retry': {'strategy': 'fixed', 'maxRetries': 5, 'initialDelayMs': 600000}}]}"""));
    String id = api.start(wf, json("{}")).path("id").asString();
    await().atMost(Duration.ofSeconds(20)).until(() -> api.get(id).path("steps").path(0).path("nextRetryAt").isString());

    api.http().post().uri("/api/v1/executions/" + id + "/cancel").exchange().expectStatus().isAccepted()
        .expectBody().jsonPath("$.status").isEqualTo("cancelled");
    JsonNode done = api.get(id);
    assertThat(done.path("steps").get(0).path("status").asString()).isEqualTo("cancelled");
    assertThat(done.path("steps").get(0).path("retryCount").asInt()).isEqualTo(1);
  }

  @Test
  void aStepMayAskToRetryToolErrors() {
    AtomicInteger calls = new AtomicInteger();
    mcp.tool("demo.busy", args -> Mono.just(calls.incrementAndGet() == 1
        ? ToolScript.toolError("index is rebuilding, try again") : ToolScript.text("ready")));
    String wf = unique("retry-on-tool-error");
    api.createWorkflow(wf, json("""
        {'steps': [{'name': 'busy', 'tool': 'demo.busy', 'params': {}, 'assign': 'r',
                    'retry': {'strategy': 'fixed', 'maxRetries': 2, 'initialDelayMs': 10, 'retryOn': ['tool_error']}}]}"""));
    JsonNode done = api.awaitFinished(api.start(wf, json("{}")).path("id").asString());
    assertThat(done.path("status").asString()).isEqualTo("completed");
    assertThat(done.path("steps").get(0).path("retryCount").asInt()).isEqualTo(1);
    assertThat(done.path("output").path("r").asString()).isEqualTo("ready");
  }

  @Test
  void aDefinitionMayBoundTheWholeExecution() {
    mcp.tool("demo.stalls", ToolScript.never());
    String wf = unique("definition-timeout");
    api.createWorkflow(wf, json("{'timeoutMs': 400, 'steps': [{'name': 'stall', 'tool': 'demo.stalls', 'params': {}}]}"));
    JsonNode done = api.awaitFinished(api.start(wf, json("{}")).path("id").asString());
    assertThat(done.path("status").asString()).isEqualTo("failed");
    assertThat(done.path("error").asString()).contains("execution timed out");
  }

  private static String header(ConsumerRecord<?, ?> record, String name) {
    var h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The execution's tool call rows: "attempt status outcome", in attempt order. */
  private static List<String> callRows(JsonNode execution) throws Exception {
    return query("SELECT attempt || ' ' || status || ' ' || coalesce(outcome, '-') FROM mcp_tool_calls WHERE execution_id = '"
        + execution.path("id").asString() + "' ORDER BY attempt");
  }

  private static List<String> statuses(JsonNode execution) {
    List<String> statuses = new ArrayList<>();
    execution.path("steps").forEach(s -> statuses.add(s.path("status").asString()));
    return statuses;
  }

  private static List<String> query(String sql) throws Exception {
    return db.column(sql);
  }
}
