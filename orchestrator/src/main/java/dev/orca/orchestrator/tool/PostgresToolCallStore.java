package dev.orca.orchestrator.tool;

import static dev.orca.orchestrator.sql.Sql.bind;
import static dev.orca.orchestrator.sql.Sql.bindJson;

import dev.orca.orchestrator.engine.ToolInvocation;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The orchestrator's rows in {@code mcp_tool_calls}: an intent row ({@code started}, {@code source =
 * 'orchestrator'}) before each call, then one terminal update. Terminal updates only touch a row still
 * {@code started}, so the first ending wins. Headers and tokens are never stored.
 */
@Repository
class PostgresToolCallStore {
  /** How a call ended: the row's {@code status} and {@code outcome}. */
  enum Ending {
    SUCCESS("completed", "success"),
    TOOL_ERROR("completed", "tool_error"),
    UPSTREAM_ERROR("failed", "upstream_error"),
    REJECTED("failed", "rejected"),
    TIMEOUT("failed", "timeout"),
    CANCELLED("cancelled", "cancelled");

    final String status;
    final String outcome;

    Ending(String status, String outcome) {
      this.status = status;
      this.outcome = outcome;
    }
  }

  private static final JsonMapper json = JsonMapper.builder().build();

  private final DatabaseClient db;

  PostgresToolCallStore(DatabaseClient db) {
    this.db = db;
  }

  /** Writes the intent row {@code id} for the call, before it is made. */
  Mono<Void> started(UUID id, ToolInvocation call) {
    GenericExecuteSpec spec = db.sql("""
            INSERT INTO mcp_tool_calls
              (id, execution_id, step_id, attempt, server_name, tool_name, params, status, source, started_at)
            VALUES (:id, :executionId, :stepId, :attempt, :server, :tool, :params, 'started', 'orchestrator', now())
            """)
        .bind("id", id)
        .bind("attempt", Math.max(1, call.attempt()))
        .bind("server", call.server())
        .bind("tool", call.tool());
    spec = bind(spec, "executionId", call.executionId(), UUID.class);
    spec = bind(spec, "stepId", call.stepId(), UUID.class);
    spec = bindJson(spec, "params", call.arguments(), json);
    return spec.then();
  }

  /** Records the tool's answer ({@link Ending#SUCCESS} or {@link Ending#TOOL_ERROR}) and its result, whole. */
  Mono<Void> completed(UUID id, Ending ending, JsonNode result, long durationMs) {
    return bindJson(db.sql("""
            UPDATE mcp_tool_calls
            SET status = :status, outcome = :outcome, result = :result, duration_ms = :durationMs, completed_at = now()
            WHERE id = :id AND status = 'started'
            """), "result", result, json)
        .bind("id", id)
        .bind("status", ending.status)
        .bind("outcome", ending.outcome)
        .bind("durationMs", millis(durationMs))
        .then();
  }

  /** Records a call that ended without an answer: failed (with the error text) or cancelled. */
  Mono<Void> ended(UUID id, Ending ending, String error, long durationMs) {
    return bind(db.sql("""
            UPDATE mcp_tool_calls
            SET status = :status, outcome = :outcome, error = :error, duration_ms = :durationMs, completed_at = now()
            WHERE id = :id AND status = 'started'
            """), "error", error, String.class)
        .bind("id", id)
        .bind("status", ending.status)
        .bind("outcome", ending.outcome)
        .bind("durationMs", millis(durationMs))
        .then();
  }

  private static int millis(long durationMs) {
    return (int) Math.max(0, Math.min(Integer.MAX_VALUE, durationMs));
  }
}
