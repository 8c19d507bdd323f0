package dev.orca.orchestrator.tool;

import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.engine.StepFailure.Kind;
import dev.orca.orchestrator.engine.ToolInvocation;
import dev.orca.orchestrator.engine.ToolInvoker;
import dev.orca.orchestrator.engine.ToolResult;
import dev.orca.orchestrator.tool.PostgresToolCallStore.Ending;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Tool steps' {@link ToolInvoker}: calls {@code server.tool} on the MCP gateway ({@code orca.gateway.url},
 * bearer {@code orca.gateway.token}) and records the call in {@code mcp_tool_calls}: an intent row
 * ({@code started}) before the call, then {@code completed} ({@code success} | {@code tool_error}, with the
 * result), {@code failed} ({@code upstream_error} | {@code rejected} | {@code timeout}, with the error) or
 * {@code cancelled}, with the duration.
 *
 * <p>Every {@code tools/call} carries {@code params._meta} naming the step attempt, so the gateway can
 * correlate the call with the intent row and not audit it a second time:
 * <ul>
 *   <li>{@code "dev.orca/executionId"}: the execution's id (UUID string);
 *   <li>{@code "dev.orca/stepId"}: the {@code workflow_steps} row's id (UUID string);
 *   <li>{@code "dev.orca/stepName"}: the step's name in the definition;
 *   <li>{@code "dev.orca/attempt"}: the attempt, a number, 1 for the first.
 * </ul>
 *
 * <p>The step's timeout ({@link ToolInvocation#timeout()}) covers the call and disposes it when it
 * expires ({@link Kind#TIMEOUT}). Cancelling the subscription disposes the in-flight call (the HTTP
 * exchange is closed and {@code notifications/cancelled} sent) and marks the row {@code cancelled}; the
 * row writes run to the end even when the subscriber has gone.
 *
 * <p>Failures: JSON-RPC error, HTTP 401/403 and other 4xx are {@link Kind#PROTOCOL} (not retryable); HTTP
 * 5xx, refused or reset connections are {@link Kind#TRANSPORT} (retryable). A result with
 * {@code isError: true} is a {@link ToolResult}, not an error.
 */
@Component
public class McpToolInvoker implements ToolInvoker, AutoCloseable {
  static final String META_EXECUTION_ID = "dev.orca/executionId";
  static final String META_STEP_ID = "dev.orca/stepId";
  static final String META_STEP_NAME = "dev.orca/stepName";
  static final String META_ATTEMPT = "dev.orca/attempt";

  private static final Logger log = LoggerFactory.getLogger(McpToolInvoker.class);
  private static final JsonMapper json = JsonMapper.builder().build();

  private final McpGatewayClient gateway;
  private final PostgresToolCallStore calls;

  @Autowired
  McpToolInvoker(
      PostgresToolCallStore calls,
      @Value("${orca.gateway.url:http://localhost:8081/mcp}") String url,
      @Value("${orca.gateway.token:}") String token,
      @Value("${orca.gateway.initialize-timeout:30s}") Duration initializeTimeout) {
    this(new McpGatewayClient(url, token, initializeTimeout), calls);
  }

  /**
   * An invoker outside Spring (tests of other packages): calls the MCP endpoint at {@code gatewayUrl}
   * with the bearer {@code token} (null for none) and records calls through {@code db}.
   */
  public static McpToolInvoker create(DatabaseClient db, String gatewayUrl, String token) {
    return new McpToolInvoker(new McpGatewayClient(gatewayUrl, token, Duration.ofSeconds(30)),
        new PostgresToolCallStore(db));
  }

  McpToolInvoker(McpGatewayClient gateway, PostgresToolCallStore calls) {
    this.gateway = gateway;
    this.calls = calls;
  }

  @Override
  public Mono<ToolResult> invoke(ToolInvocation invocation) {
    return Mono.defer(() -> {
      UUID callId = UUID.randomUUID();
      AtomicBoolean ended = new AtomicBoolean();
      AtomicLong startedNanos = new AtomicLong();
      // The intent write is detached from the subscriber: once begun it finishes, so a cancellation
      // arriving meanwhile can still mark the row.
      CompletableFuture<Void> intent = calls.started(callId, invocation).toFuture();
      return Mono.fromFuture(intent, true)
          .then(Mono.defer(() -> {
            startedNanos.set(System.nanoTime());
            return call(invocation, callId, ended, startedNanos.get());
          }))
          .doOnCancel(() -> {
            if (ended.compareAndSet(false, true)) {
              long durationMs = startedNanos.get() == 0 ? 0 : millisSince(startedNanos.get());
              intent.thenRun(() -> calls.ended(callId, Ending.CANCELLED, null, durationMs)
                  .subscribe(null, e -> log.warn("could not mark tool call {} cancelled: {}", callId, e.toString())));
            }
          });
    });
  }

  private Mono<ToolResult> call(ToolInvocation invocation, UUID callId, AtomicBoolean ended, long t0) {
    String name = invocation.server() + "." + invocation.tool();
    Mono<JsonNode> answer = gateway.callTool(name, invocation.arguments(), meta(invocation));
    if (invocation.timeout() != null && invocation.timeout().compareTo(Duration.ZERO) > 0) {
      answer = answer.timeout(invocation.timeout());
    }
    return answer
        .onErrorMap(e -> failure(e, name, invocation.timeout()))
        .flatMap(result -> {
          if (!ended.compareAndSet(false, true)) {
            return Mono.empty(); // cancelled meanwhile: a late result is discarded
          }
          ToolResult toolResult = new ToolResult(result);
          Ending ending = toolResult.isError() ? Ending.TOOL_ERROR : Ending.SUCCESS;
          return detached(calls.completed(callId, ending, result, millisSince(t0))).thenReturn(toolResult);
        })
        .onErrorResume(StepFailure.class, f -> {
          if (!ended.compareAndSet(false, true)) {
            return Mono.error(f);
          }
          return detached(calls.ended(callId, ending(f), f.getMessage(), millisSince(t0))).then(Mono.error(f));
        });
  }

  static ObjectNode meta(ToolInvocation invocation) {
    ObjectNode meta = json.createObjectNode();
    meta.put(META_EXECUTION_ID, String.valueOf(invocation.executionId()));
    meta.put(META_STEP_ID, String.valueOf(invocation.stepId()));
    meta.put(META_STEP_NAME, invocation.stepName());
    meta.put(META_ATTEMPT, invocation.attempt());
    return meta;
  }

  private static Throwable failure(Throwable e, String name, Duration timeout) {
    if (e instanceof StepFailure) {
      return e;
    }
    if (e instanceof TimeoutException) {
      return new StepFailure(Kind.TIMEOUT, "tool " + name + " did not answer within " + timeout.toMillis() + " ms");
    }
    return new StepFailure(Kind.TRANSPORT, "tool " + name + " failed: " + e, e);
  }

  private static Ending ending(StepFailure f) {
    return switch (f.kind()) {
      case TIMEOUT -> Ending.TIMEOUT;
      case TRANSPORT -> Ending.UPSTREAM_ERROR;
      default -> Ending.REJECTED;
    };
  }

  /** Runs the write to its end even if the subscriber cancels meanwhile. */
  private static Mono<Void> detached(Mono<Void> write) {
    return Mono.fromFuture(write.toFuture(), true);
  }

  private static long millisSince(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos).toMillis();
  }

  @Override
  public void close() {
    gateway.close();
  }
}
