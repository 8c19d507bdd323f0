package dev.orca.orchestrator.agent.llm;

import dev.orca.orchestrator.agent.llm.Conversation.ToolOutput;
import dev.orca.orchestrator.agent.llm.Conversation.ToolSpec;
import dev.orca.orchestrator.agent.llm.Conversation.ToolUse;
import dev.orca.orchestrator.agent.runtime.AgentRun;
import dev.orca.orchestrator.agent.runtime.AgentRunStore;
import dev.orca.orchestrator.engine.StepFailure;
import dev.orca.orchestrator.tool.McpGatewayClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The tools one agent run may call, and the calling: each through the gateway with {@code _meta} naming the
 * execution, step, attempt and agent run (so the gateway does not audit it again), recorded in
 * {@code mcp_tool_calls} with {@code agent_run_id} and in the run's ledger. A tool's {@code isError} and a
 * refusal (unknown tool, JSON-RPC error) go back to the model, which may recover; a transport failure fails
 * the run (retryable). Cancelling disposes the call and marks its row {@code cancelled}.
 */
final class ToolBox {
  private static final Logger log = LoggerFactory.getLogger(ToolBox.class);

  private final McpGatewayClient gateway;
  private final AgentRunStore runs;
  private final AgentRun run;
  private final List<ToolSpec> specs;
  private final Map<String, String> names;
  private final int maxResultChars;
  private final JsonMapper json;

  ToolBox(McpGatewayClient gateway, AgentRunStore runs, AgentRun run, List<ToolSpec> specs, Map<String, String> names,
      int maxResultChars, JsonMapper json) {
    this.gateway = gateway;
    this.runs = runs;
    this.run = run;
    this.specs = specs;
    this.names = names;
    this.maxResultChars = maxResultChars;
    this.json = json;
  }

  List<ToolSpec> specs() {
    return specs;
  }

  Mono<ToolOutput> call(ToolUse use) {
    String full = names.get(use.name());
    if (full == null) {
      return Mono.just(new ToolOutput(use.id(), "unknown tool '" + use.name() + "'; the tools on offer are "
          + String.join(", ", names.keySet()), true));
    }
    return Mono.defer(() -> {
      UUID callId = UUID.randomUUID();
      AtomicBoolean ended = new AtomicBoolean();
      long t0 = System.nanoTime();
      int dot = full.indexOf('.');
      CompletableFuture<Void> intent = runs.toolCallStarted(callId, run, full.substring(0, dot), full.substring(dot + 1),
          use.arguments()).toFuture();
      return Mono.fromFuture(intent, true)
          .then(Mono.defer(() -> gateway.callTool(full, use.arguments(), meta())))
          .flatMap(result -> {
            boolean isError = result.path("isError").asBoolean(false);
            return end(ended, callId, "completed", isError ? "tool_error" : "success", result, null, t0, use, full)
                .thenReturn(new ToolOutput(use.id(), text(result), isError));
          })
          .onErrorResume(StepFailure.class, f -> {
            boolean refused = f.kind() == StepFailure.Kind.PROTOCOL;
            Mono<Void> written = end(ended, callId, "failed", refused ? "rejected" : "upstream_error", null,
                f.getMessage(), t0, use, full);
            return refused
                ? written.thenReturn(new ToolOutput(use.id(), "the call failed: " + f.getMessage(), true))
                : written.then(Mono.error(f));
          })
          .doOnCancel(() -> intent.whenComplete((ok, e) ->
              end(ended, callId, "cancelled", "cancelled", null, null, t0, use, full)
                  .subscribe(null, err -> log.warn("could not mark tool call {} cancelled: {}", callId, err.toString()))));
    });
  }

  /** Records the ending once, in the table and the ledger; detached so it completes even on cancellation. */
  private Mono<Void> end(AtomicBoolean ended, UUID callId, String status, String outcome, JsonNode result, String error,
      long t0, ToolUse use, String full) {
    if (!ended.compareAndSet(false, true)) {
      return Mono.empty();
    }
    long durationMs = Duration.ofNanos(System.nanoTime() - t0).toMillis();
    ObjectNode entry = json.createObjectNode();
    entry.put("id", callId.toString());
    entry.put("tool", full);
    entry.set("params", use.arguments());
    entry.put("outcome", outcome);
    if (result != null) {
      entry.set("result", result);
    }
    if (error != null) {
      entry.put("error", error);
    }
    entry.put("duration_ms", durationMs);
    run.ledger().toolCall(entry);
    return Mono.fromFuture(runs.toolCallEnded(callId, status, outcome, result, error, durationMs).toFuture(), true);
  }

  private ObjectNode meta() {
    ObjectNode meta = json.createObjectNode();
    meta.put("dev.orca/executionId", String.valueOf(run.invocation().executionId()));
    meta.put("dev.orca/stepId", String.valueOf(run.invocation().stepId()));
    meta.put("dev.orca/stepName", run.invocation().stepName());
    meta.put("dev.orca/attempt", run.invocation().attempt());
    meta.put("dev.orca/agentRunId", run.id().toString());
    return meta;
  }

  /** What the model reads: structured content as JSON, else the text blocks; cut at the configured size. */
  private String text(JsonNode result) {
    String text;
    if (result.has("structuredContent")) {
      text = json.writeValueAsString(result.get("structuredContent"));
    } else {
      StringBuilder b = new StringBuilder();
      for (JsonNode block : result.path("content")) {
        if ("text".equals(block.path("type").asString(""))) {
          b.append(b.isEmpty() ? "" : "\n").append(block.path("text").asString(""));
        } else {
          b.append(b.isEmpty() ? "" : "\n").append("[").append(block.path("type").asString("content")).append(" block]");
        }
      }
      text = b.toString();
    }
    return text.length() > maxResultChars ? text.substring(0, maxResultChars) + "…[truncated]" : text;
  }
}
