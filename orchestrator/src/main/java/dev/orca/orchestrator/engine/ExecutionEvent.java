package dev.orca.orchestrator.engine;

import java.time.Instant;
import java.util.UUID;
import tools.jackson.databind.JsonNode;

/**
 * A lifecycle transition, written to {@code execution_outbox} in the same transaction as the
 * transition itself (so no event exists for a transition that rolled back), then published to Kafka
 * topic {@code orca.executions} as a CloudEvent and streamed to SSE clients.
 *
 * <p>{@code type} is one of {@code dev.orca.execution.{started,completed,failed,cancelled}} and
 * {@code dev.orca.step.{started,completed,failed,skipped,cancelled,retrying}}. {@code data} holds
 * {@code executionId, workflow, workflowVersion, status} and for step events {@code step: {name,
 * index, status, retryCount, error, durationMs}}.
 */
public record ExecutionEvent(long sequence, UUID executionId, String type, JsonNode data, Instant at) {

  /**
   * The {@code pg_notify} channel that announces new outbox rows: the payload is the ids of the executions
   * that have new events, comma-separated. Sent after the transitions commit, not inside them.
   */
  public static final String NOTIFY_CHANNEL = "orca_execution_events";
}
