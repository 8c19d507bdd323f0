package dev.orca.orchestrator.execution;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/** An execution as the API shows it, with its steps in order. */
public record ExecutionView(
    UUID id,
    String workflow,
    int workflowVersion,
    String status,
    JsonNode input,
    JsonNode output,
    String error,
    String triggeredBy,
    String idempotencyKey,
    Instant createdAt,
    Instant startedAt,
    Instant completedAt,
    Instant cancelRequestedAt,
    List<StepView> steps) {

  public boolean finished() {
    return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
  }

  public ExecutionView withSteps(List<StepView> steps) {
    return new ExecutionView(id, workflow, workflowVersion, status, input, output, error, triggeredBy, idempotencyKey,
        createdAt, startedAt, completedAt, cancelRequestedAt, steps);
  }

  public record StepView(
      String name,
      int index,
      String status,
      JsonNode input,
      JsonNode output,
      String error,
      Integer durationMs,
      int retryCount,
      Instant startedAt,
      Instant completedAt,
      Instant nextRetryAt) {}
}
