package dev.orca.orchestrator.engine;

import dev.orca.common.toolcall.ToolCallOutcome;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * How a step attempt's tool call ended when the step does not complete with its answer: written by the
 * transition that follows (retry or failure). {@code result} is the tool's answer for
 * {@link ToolCallOutcome#TOOL_ERROR}, else null; {@code error} says what went wrong otherwise.
 */
public record ToolCallEnding(UUID callId, ToolCallOutcome outcome, JsonNode result, String error, long durationMs) {

  static ToolCallEnding toolError(UUID callId, JsonNode result, long durationMs) {
    return callId == null ? null : new ToolCallEnding(callId, ToolCallOutcome.TOOL_ERROR, result, null, durationMs);
  }

  static ToolCallEnding failed(UUID callId, StepFailure failure, long durationMs) {
    return callId == null ? null : new ToolCallEnding(callId, outcomeOf(failure), null, failure.getMessage(), durationMs);
  }

  /** A failure on the way to the tool: timeouts, transport failures, and the rest (rejected). */
  private static ToolCallOutcome outcomeOf(StepFailure failure) {
    return switch (failure.kind()) {
      case TIMEOUT -> ToolCallOutcome.TIMEOUT;
      case TRANSPORT, INTERRUPTED -> ToolCallOutcome.UPSTREAM_ERROR;
      default -> ToolCallOutcome.REJECTED;
    };
  }
}
