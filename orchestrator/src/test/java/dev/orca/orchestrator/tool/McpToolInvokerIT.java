package dev.orca.orchestrator.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.engine.StepFailure.Kind;
import dev.orca.orchestrator.engine.ToolInvocation;
import dev.orca.orchestrator.testmcp.LocalMcpServer;
import dev.orca.orchestrator.testmcp.ToolScript;
import dev.orca.testsupport.ServiceChecks;
import dev.orca.testsupport.TestDatabase;
import dev.orca.testsupport.TestPostgres;
import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@link McpToolInvoker} against a real PostgreSQL and a real (local) MCP server. */
class McpToolInvokerIT {
  private static final JsonMapper json = JsonMapper.builder().build();
  private static final Duration WAIT = Duration.ofSeconds(10);

  static TestDatabase db;
  static PostgresqlConnectionFactory factory;
  static PostgresToolCallStore store;

  LocalMcpServer server;
  McpGatewayClient client;
  McpToolInvoker invoker;
  UUID executionId;
  UUID stepId;

  @BeforeAll
  static void database() {
    db = ServiceChecks.migrated(TestPostgres.get().freshDatabase("tool_calls"));
    factory = new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
        .host(db.host()).port(db.port()).database(db.name()).username(db.username()).password(db.password())
        .build());
    store = new PostgresToolCallStore(DatabaseClient.create(factory));
  }

  @BeforeEach
  void start() throws Exception {
    server = LocalMcpServer.start();
    client = new McpGatewayClient(server.url(), null, Duration.ofSeconds(5));
    invoker = new McpToolInvoker(client, store);
    executionId = UUID.randomUUID();
    stepId = UUID.randomUUID();
    UUID workflowId = UUID.randomUUID();
    try (Connection c = db.connect()) {
      exec(c, "INSERT INTO workflows (id, name, definition) VALUES (?, ?, '{\"steps\":[]}'::jsonb)", workflowId,
          "wf-" + workflowId);
      exec(c, "INSERT INTO workflow_versions (workflow_id, version, definition) VALUES (?, 1, '{\"steps\":[]}'::jsonb)",
          workflowId);
      exec(c, "INSERT INTO workflow_executions (id, workflow_id, workflow_version, status) VALUES (?, ?, 1, 'running')",
          executionId, workflowId);
      exec(c, "INSERT INTO workflow_steps (id, execution_id, step_name, step_index, status)"
          + " VALUES (?, ?, 'fetch_issue', 0, 'running')", stepId, executionId);
    }
  }

  @AfterEach
  void stop() {
    invoker.close();
    server.close();
  }

  @Test
  void writesTheIntentBeforeTheCallAndTheResultAfterIt() {
    JsonNode result = ToolScript.parse("""
        {"content": [{"type": "text", "text": "{\\"state\\":\\"open\\"}"},
                     {"type": "image", "data": "aGk=", "mimeType": "image/png"},
                     {"type": "resource_link", "uri": "file:///x", "name": "x"}],
         "structuredContent": {"state": "open", "number": 7},
         "isError": false,
         "_meta": {"upstream/trace": "abc"}}
        """);
    Map<String, Object> rowDuringCall = new HashMap<>();
    server.tool("github.getIssue", args -> Mono.fromCallable(() -> {
          rowDuringCall.putAll(row());
          return result;
        }).subscribeOn(Schedulers.boundedElastic()));

    StepVerifier.create(invoker.invoke(invocation("github", "getIssue", "{\"owner\":\"o\",\"number\":7}", 2, 5_000)))
        .assertNext(r -> assertThat(r.result()).isEqualTo(result))
        .verifyComplete();

    assertThat(rowDuringCall).containsEntry("status", "started").containsEntry("outcome", null)
        .containsEntry("source", "orchestrator").containsEntry("attempt", 2);
    Map<String, Object> row = row();
    assertThat(row).containsEntry("status", "completed").containsEntry("outcome", "success")
        .containsEntry("source", "orchestrator").containsEntry("attempt", 2)
        .containsEntry("server_name", "github").containsEntry("tool_name", "getIssue")
        .containsEntry("execution_id", executionId).containsEntry("step_id", stepId).containsEntry("error", null);
    assertThat(json.readTree((String) row.get("result"))).isEqualTo(result);
    assertThat(json.readTree((String) row.get("params"))).isEqualTo(ToolScript.parse("{\"owner\":\"o\",\"number\":7}"));
    assertThat((Integer) row.get("duration_ms")).isNotNull().isGreaterThanOrEqualTo(0);
    assertThat(row.get("completed_at")).isNotNull();
    assertThat(row.get("started_at")).isNotNull();

    JsonNode call = server.calls().get(0);
    assertThat(call.path("name").asString()).isEqualTo("github.getIssue");
    assertThat(call.path("arguments")).isEqualTo(ToolScript.parse("{\"owner\":\"o\",\"number\":7}"));
    JsonNode meta = call.path("_meta");
    assertThat(meta.path("dev.orca/executionId").asString()).isEqualTo(executionId.toString());
    assertThat(meta.path("dev.orca/stepId").asString()).isEqualTo(stepId.toString());
    assertThat(meta.path("dev.orca/stepName").asString()).isEqualTo("fetch_issue");
    assertThat(meta.path("dev.orca/attempt").isNumber()).isTrue();
    assertThat(meta.path("dev.orca/attempt").asInt()).isEqualTo(2);
  }

  @Test
  void aResultWithIsErrorIsAToolResultRecordedAsToolError() {
    server.tool("github.getIssue", ToolScript.returns(ToolScript.toolError("no such issue")));

    StepVerifier.create(invoker.invoke(invocation("github", "getIssue", "{}", 1, 5_000)))
        .assertNext(r -> {
          assertThat(r.isError()).isTrue();
          assertThat(r.result().path("content").get(0).path("text").asString()).isEqualTo("no such issue");
        })
        .verifyComplete();

    Map<String, Object> row = row();
    assertThat(row).containsEntry("status", "completed").containsEntry("outcome", "tool_error");
    assertThat((String) row.get("result")).contains("no such issue");
  }

  @Test
  void aJsonRpcErrorIsAProtocolFailure() {
    server.tool("github.getIssue", ToolScript.rpcError(-32602, "owner is required"));

    StepVerifier.create(invoker.invoke(invocation("github", "getIssue", "{}", 1, 5_000)))
        .expectErrorSatisfies(e -> {
          assertThat(e).isInstanceOf(StepFailure.class).hasMessage("gateway error -32602: owner is required");
          assertThat(((StepFailure) e).kind()).isEqualTo(Kind.PROTOCOL);
          assertThat(((StepFailure) e).retryable()).isFalse();
        })
        .verify(WAIT);

    assertThat(row()).containsEntry("status", "failed").containsEntry("outcome", "rejected")
        .containsEntry("error", "gateway error -32602: owner is required");
  }

  @Test
  void anUnknownToolIsAProtocolFailure() {
    StepVerifier.create(invoker.invoke(invocation("github", "nope", "{}", 1, 5_000)))
        .expectErrorSatisfies(e -> assertThat(failure(e).kind()).isEqualTo(Kind.PROTOCOL))
        .verify(WAIT);
    assertThat(server.calls()).hasSize(1);
  }

  @Test
  void http503IsARetryableTransportFailureAndTheSessionSurvivesIt() {
    server.tool("deploy.start", ToolScript.failTimesThen(2, ToolScript.text("started")));

    for (int i = 1; i <= 2; i++) {
      StepVerifier.create(invoker.invoke(invocation("deploy", "start", "{}", i, 5_000)))
          .expectErrorSatisfies(e -> {
            assertThat(failure(e).kind()).isEqualTo(Kind.TRANSPORT);
            assertThat(failure(e).retryable()).isTrue();
            assertThat(e).hasMessageContaining("503");
          })
          .verify(WAIT);
    }
    StepVerifier.create(invoker.invoke(invocation("deploy", "start", "{}", 3, 5_000)))
        .assertNext(r -> assertThat(r.result()).isEqualTo(ToolScript.text("started")))
        .verifyComplete();

    assertThat(rows()).extracting(r -> r.get("attempt") + ":" + r.get("status") + ":" + r.get("outcome"))
        .containsExactly("1:failed:upstream_error", "2:failed:upstream_error", "3:completed:success");
    assertThat(server.initializeCount()).isEqualTo(1);
  }

  @Test
  void aRefusedConnectionIsARetryableTransportFailure() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (McpGatewayClient nowhere = new McpGatewayClient("http://127.0.0.1:" + closedPort + "/mcp", null,
        Duration.ofSeconds(5))) {
      StepVerifier.create(new McpToolInvoker(nowhere, store).invoke(invocation("github", "getIssue", "{}", 1, 5_000)))
          .expectErrorSatisfies(e -> {
            assertThat(failure(e).kind()).isEqualTo(Kind.TRANSPORT);
            assertThat(e).hasMessageContaining("cannot reach the MCP gateway");
          })
          .verify(WAIT);
    }
    assertThat(row()).containsEntry("status", "failed").containsEntry("outcome", "upstream_error");
  }

  @Test
  void aRefusedTokenIsAProtocolFailureNamingTheVariable() {
    server.requireToken("s3cret").tool("github.getIssue", ToolScript.returns(ToolScript.text("ok")));

    try (McpGatewayClient wrong = new McpGatewayClient(server.url(), "not-it", Duration.ofSeconds(5))) {
      StepVerifier.create(new McpToolInvoker(wrong, store).invoke(invocation("github", "getIssue", "{}", 1, 5_000)))
          .expectErrorSatisfies(e -> {
            assertThat(failure(e).kind()).isEqualTo(Kind.PROTOCOL);
            assertThat(e).hasMessageContaining("401").hasMessageContaining("ORCA_GATEWAY_TOKEN");
          })
          .verify(WAIT);
    }
    assertThat(row()).containsEntry("status", "failed").containsEntry("outcome", "rejected");
    assertThat((String) row().get("error")).doesNotContain("not-it");

    try (McpToolInvoker right = McpToolInvoker.create(DatabaseClient.create(factory), server.url(), "s3cret")) {
      StepVerifier.create(right.invoke(invocation("github", "getIssue", "{}", 2, 5_000)))
          .assertNext(r -> assertThat(r.result()).isEqualTo(ToolScript.text("ok")))
          .verifyComplete();
    }
    assertThat(rows()).extracting(r -> r.get("status")).containsExactly("failed", "completed");
  }

  @Test
  void aTimedOutCallIsDisposedAndRecordedAsTimeout() {
    server.tool("github.slow", ToolScript.never());

    StepVerifier.create(invoker.invoke(invocation("github", "slow", "{}", 1, 300)))
        .expectErrorSatisfies(e -> {
          assertThat(failure(e).kind()).isEqualTo(Kind.TIMEOUT);
          assertThat(failure(e).retryable()).isTrue();
          assertThat(e).hasMessageContaining("github.slow").hasMessageContaining("300 ms");
        })
        .verify(WAIT);

    await().atMost(WAIT).until(() -> server.disconnectedCalls() == 1 && server.inFlightCalls() == 0);
    await().atMost(WAIT).until(() -> server.cancelNotifications().size() == 1);
    assertThat(server.cancelNotifications().get(0).path("requestId").isNumber()).isTrue();
    Map<String, Object> row = row();
    assertThat(row).containsEntry("status", "failed").containsEntry("outcome", "timeout");
    assertThat((Integer) row.get("duration_ms")).isGreaterThanOrEqualTo(300);
  }

  @Test
  void disposingMidCallEndsTheRequestAtTheServerAndMarksTheRowCancelled() {
    server.tool("github.slow", ToolScript.never());

    StepVerifier.create(invoker.invoke(invocation("github", "slow", "{}", 1, 60_000)))
        .then(() -> await().atMost(WAIT).until(() -> server.inFlightCalls() == 1))
        .thenCancel()
        .verify(WAIT);

    await().atMost(WAIT).until(() -> server.disconnectedCalls() == 1 && server.inFlightCalls() == 0);
    await().atMost(WAIT).until(() -> "cancelled".equals(row().get("status")));
    assertThat(row()).containsEntry("outcome", "cancelled");
    assertThat(row().get("completed_at")).isNotNull();
    assertThat(server.cancelNotifications()).hasSize(1);
  }

  @Test
  void disposingAnSseCallEndsTheStreamAndALateResultIsDiscarded() {
    server.sseTool("github.slow", ToolScript.delayed(Duration.ofMillis(800), ToolScript.text("late")));

    Disposable call = invoker.invoke(invocation("github", "slow", "{}", 1, 60_000))
        .subscribe(r -> { throw new AssertionError("late result delivered: " + r); });
    await().atMost(WAIT).until(() -> server.inFlightCalls() == 1);
    call.dispose();

    await().atMost(WAIT).until(() -> server.disconnectedCalls() == 1 && server.inFlightCalls() == 0);
    await().atMost(WAIT).until(() -> "cancelled".equals(row().get("status")));
    assertThat(row()).containsEntry("outcome", "cancelled").containsEntry("result", null);
  }

  @Test
  void parsesAnEventStreamAnswerAfterProgressNotifications() {
    JsonNode result = ToolScript.structured(ToolScript.parse("{\"deployed\": true}"));
    server.sseTool("deploy.start", ToolScript.delayed(Duration.ofMillis(50), result));

    StepVerifier.create(invoker.invoke(invocation("deploy", "start", "{\"env\":\"prod\"}", 1, 5_000)))
        .assertNext(r -> assertThat(r.result()).isEqualTo(result))
        .verifyComplete();
    assertThat(row()).containsEntry("status", "completed").containsEntry("outcome", "success");
  }

  @Test
  void reusesOneSessionForManyCallsAndReinitializesWhenItExpires() {
    server.tool("util.echo", ToolScript.echo());

    for (int i = 1; i <= 3; i++) {
      StepVerifier.create(invoker.invoke(invocation("util", "echo", "{\"i\":" + i + "}", i, 5_000)))
          .assertNext(r -> assertThat(r.result().path("structuredContent").has("i")).isTrue())
          .verifyComplete();
    }
    StepVerifier.create(Flux.range(1, 8)
            .flatMap(i -> invoker.invoke(invocation("util", "echo", "{\"n\":" + i + "}", 1, 5_000)))
            .collectList())
        .assertNext(results -> assertThat(results)
            .extracting(r -> r.result().path("structuredContent").path("n").asInt())
            .containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8))
        .verifyComplete();
    assertThat(server.initializeCount()).isEqualTo(1);

    server.expireSessions();
    StepVerifier.create(invoker.invoke(invocation("util", "echo", "{\"after\":1}", 1, 5_000)))
        .assertNext(r -> assertThat(r.result().path("structuredContent").path("after").asInt()).isEqualTo(1))
        .verifyComplete();
    assertThat(server.initializeCount()).isEqualTo(2);
    assertThat(rows()).hasSize(12).allSatisfy(r -> assertThat(r).containsEntry("outcome", "success"));
  }

  @Test
  void concurrentFirstCallsShareOneInitialization() {
    server.tool("util.echo", ToolScript.echo());

    StepVerifier.create(Flux.range(1, 6)
            .flatMap(i -> invoker.invoke(invocation("util", "echo", "{}", 1, 5_000)))
            .count())
        .expectNext(6L)
        .verifyComplete();
    assertThat(server.initializeCount()).isEqualTo(1);
  }

  // ---------------------------------------------------------------- helpers

  private ToolInvocation invocation(String srv, String tool, String args, int attempt, long timeoutMs) {
    return new ToolInvocation(executionId, stepId, "fetch_issue", attempt, srv, tool, ToolScript.parse(args),
        Duration.ofMillis(timeoutMs));
  }

  private static StepFailure failure(Throwable e) {
    assertThat(e).isInstanceOf(StepFailure.class);
    return (StepFailure) e;
  }

  /** The one call row of this test's execution. */
  private Map<String, Object> row() {
    List<Map<String, Object>> rows = rows();
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  private List<Map<String, Object>> rows() {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("""
            SELECT execution_id, step_id, attempt, server_name, tool_name, params::text AS params,
                   result::text AS result, error, duration_ms, status, outcome, source, started_at, completed_at
            FROM mcp_tool_calls WHERE execution_id = ? ORDER BY started_at, attempt""")) {
      ps.setObject(1, executionId);
      try (ResultSet rs = ps.executeQuery()) {
        List<Map<String, Object>> rows = new java.util.ArrayList<>();
        while (rs.next()) {
          Map<String, Object> row = new HashMap<>();
          for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
            row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
          }
          rows.add(row);
        }
        return rows;
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void exec(Connection c, String sql, Object... params) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      ps.executeUpdate();
    }
  }
}
