package dev.orca.orchestrator.engine;

import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * A step that ended well ({@code completed}) or was {@code skipped}, written together with the
 * execution's progress: the value its {@code assign} binds (null when none), the next step index, and
 * whether that was the last step (then the execution completes with {@code executionOutput}).
 * {@code toolCallId} names the tool call whose answer {@code output} is (its row completes with it,
 * in the same transaction), or is null for a skipped step or an agent step.
 */
public record StepFinish(
    UUID executionId,
    String owner,
    int stepIndex,
    String stepName,
    String status,
    JsonNode output,
    long durationMs,
    String assign,
    JsonNode assignedValue,
    boolean last,
    JsonNode executionOutput,
    UUID toolCallId) {

  public static final String COMPLETED = "completed";
  public static final String SKIPPED = "skipped";
}
