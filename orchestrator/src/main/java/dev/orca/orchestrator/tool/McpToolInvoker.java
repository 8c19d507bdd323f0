package dev.orca.orchestrator.tool;

import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.engine.StepFailure.Kind;
import dev.orca.orchestrator.engine.ToolInvocation;
import dev.orca.orchestrator.engine.ToolInvoker;
import dev.orca.orchestrator.engine.ToolResult;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Tool steps' {@link ToolInvoker}: calls {@code server.tool} on the MCP gateway ({@code orca.gateway.url},
 * bearer {@code orca.gateway.token}). The engine records the call in {@code mcp_tool_calls} (intent and
 * ending, in its step transitions), so this class touches no database.
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
 * exchange is closed and {@code notifications/cancelled} sent); a late answer is never delivered.
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

  private static final JsonMapper json = JsonMapper.builder().build();

  private final McpGatewayClient gateway;

  @Autowired
  McpToolInvoker(
      @Value("${orca.gateway.url:http://localhost:8081/mcp}") String url,
      @Value("${orca.gateway.token:}") String token,
      @Value("${orca.gateway.initialize-timeout:30s}") Duration initializeTimeout) {
    this(new McpGatewayClient(url, token, initializeTimeout));
  }

  /** An invoker outside Spring (tests of other packages): the MCP endpoint at {@code gatewayUrl}, bearer {@code token} (null for none). */
  public static McpToolInvoker create(String gatewayUrl, String token) {
    return new McpToolInvoker(new McpGatewayClient(gatewayUrl, token, Duration.ofSeconds(30)));
  }

  McpToolInvoker(McpGatewayClient gateway) {
    this.gateway = gateway;
  }

  @Override
  public Mono<ToolResult> invoke(ToolInvocation invocation) {
    String name = invocation.server() + "." + invocation.tool();
    return Mono.defer(() -> {
      var answer = gateway.callTool(name, invocation.arguments(), meta(invocation));
      if (invocation.timeout() != null && invocation.timeout().compareTo(Duration.ZERO) > 0) {
        answer = answer.timeout(invocation.timeout());
      }
      return answer.map(ToolResult::new).onErrorMap(e -> failure(e, name, invocation.timeout()));
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

  @Override
  public void close() {
    gateway.close();
  }
}
