package dev.orca.orchestrator.tool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.engine.StepFailure.Kind;
import dev.orca.orchestrator.engine.ToolInvocation;
import dev.orca.orchestrator.testmcp.LocalMcpServer;
import dev.orca.orchestrator.testmcp.ToolScript;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;

/**
 * {@link McpToolInvoker} against a real (local) MCP server over HTTP. The rows it leads to in
 * {@code mcp_tool_calls} are the engine's part ({@code EngineIT}).
 */
class McpToolInvokerIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  LocalMcpServer server;
  McpGatewayClient client;
  McpToolInvoker invoker;
  UUID executionId;
  UUID stepId;

  @BeforeEach
  void start() {
    server = LocalMcpServer.start();
    client = new McpGatewayClient(server.url(), null, Duration.ofSeconds(5));
    invoker = new McpToolInvoker(client);
    executionId = UUID.randomUUID();
    stepId = UUID.randomUUID();
  }

  @AfterEach
  void stop() {
    invoker.close();
    server.close();
  }

  @Test
  void passesTheResultThroughWholeAndNamesTheStepAttemptInMeta() {
    JsonNode result = ToolScript.parse("""
        {"content": [{"type": "text", "text": "{\\"state\\":\\"open\\"}"},
                     {"type": "image", "data": "aGk=", "mimeType": "image/png"},
                     {"type": "resource_link", "uri": "file:///x", "name": "x"}],
         "structuredContent": {"state": "open", "number": 7},
         "isError": false,
         "_meta": {"upstream/trace": "abc"}}
        """);
    server.tool("github.getIssue", ToolScript.returns(result));

    StepVerifier.create(invoker.invoke(invocation("github", "getIssue", "{\"owner\":\"o\",\"number\":7}", 2, 5_000)))
        .assertNext(r -> assertThat(r.result()).isEqualTo(result))
        .verifyComplete();

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
  void aResultWithIsErrorIsAToolResultNotAFailure() {
    server.tool("github.getIssue", ToolScript.returns(ToolScript.toolError("no such issue")));

    StepVerifier.create(invoker.invoke(invocation("github", "getIssue", "{}", 1, 5_000)))
        .assertNext(r -> {
          assertThat(r.isError()).isTrue();
          assertThat(r.result().path("content").get(0).path("text").asString()).isEqualTo("no such issue");
        })
        .verifyComplete();
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

    assertThat(server.calls()).extracting(c -> c.path("_meta").path("dev.orca/attempt").asInt()).containsExactly(1, 2, 3);
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
      StepVerifier.create(new McpToolInvoker(nowhere).invoke(invocation("github", "getIssue", "{}", 1, 5_000)))
          .expectErrorSatisfies(e -> {
            assertThat(failure(e).kind()).isEqualTo(Kind.TRANSPORT);
            assertThat(e).hasMessageContaining("cannot reach the MCP gateway");
          })
          .verify(WAIT);
    }
  }

  @Test
  void aRefusedTokenIsAProtocolFailureNamingTheVariable() {
    server.requireToken("s3cret").tool("github.getIssue", ToolScript.returns(ToolScript.text("ok")));

    try (McpGatewayClient wrong = new McpGatewayClient(server.url(), "not-it", Duration.ofSeconds(5))) {
      StepVerifier.create(new McpToolInvoker(wrong).invoke(invocation("github", "getIssue", "{}", 1, 5_000)))
          .expectErrorSatisfies(e -> {
            assertThat(failure(e).kind()).isEqualTo(Kind.PROTOCOL);
            assertThat(e).hasMessageContaining("401").hasMessageContaining("ORCA_GATEWAY_TOKEN").hasMessageNotContaining("not-it");
          })
          .verify(WAIT);
    }

    try (McpToolInvoker right = McpToolInvoker.create(server.url(), "s3cret")) {
      StepVerifier.create(right.invoke(invocation("github", "getIssue", "{}", 2, 5_000)))
          .assertNext(r -> assertThat(r.result()).isEqualTo(ToolScript.text("ok")))
          .verifyComplete();
    }
  }

  @Test
  void aTimedOutCallIsDisposedAtTheServer() {
    server.tool("github.slow", ToolScript.never());
    server.tool("github.fast", ToolScript.returns(ToolScript.text("ok")));
    // The session first, so the timed call's budget is not spent on the handshake on a loaded machine.
    StepVerifier.create(invoker.invoke(invocation("github", "fast", "{}", 1, 30_000))).expectNextCount(1).verifyComplete();

    StepVerifier.create(invoker.invoke(invocation("github", "slow", "{}", 1, 1_000)))
        .expectErrorSatisfies(e -> {
          assertThat(failure(e).kind()).isEqualTo(Kind.TIMEOUT);
          assertThat(failure(e).retryable()).isTrue();
          assertThat(e).hasMessageContaining("github.slow").hasMessageContaining("1000 ms");
        })
        .verify(WAIT);

    await().atMost(WAIT).until(() -> server.disconnectedCalls() == 1 && server.inFlightCalls() == 0);
    await().atMost(WAIT).until(() -> server.cancelNotifications().size() == 1);
    assertThat(server.cancelNotifications().get(0).path("requestId").isNumber()).isTrue();
  }

  @Test
  void disposingMidCallEndsTheRequestAtTheServer() {
    server.tool("github.slow", ToolScript.never());

    StepVerifier.create(invoker.invoke(invocation("github", "slow", "{}", 1, 60_000)))
        .then(() -> await().atMost(WAIT).until(() -> server.inFlightCalls() == 1))
        .thenCancel()
        .verify(WAIT);

    await().atMost(WAIT).until(() -> server.disconnectedCalls() == 1 && server.inFlightCalls() == 0);
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
    assertThat(server.cancelNotifications()).hasSize(1);
  }

  @Test
  void parsesAnEventStreamAnswerAfterProgressNotifications() {
    JsonNode result = ToolScript.structured(ToolScript.parse("{\"deployed\": true}"));
    server.sseTool("deploy.start", ToolScript.delayed(Duration.ofMillis(50), result));

    StepVerifier.create(invoker.invoke(invocation("deploy", "start", "{\"env\":\"prod\"}", 1, 5_000)))
        .assertNext(r -> assertThat(r.result()).isEqualTo(result))
        .verifyComplete();
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
    assertThat(server.calls()).hasSize(12);
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
}
