package dev.orca.orchestrator.agent.runtime;

import static dev.orca.orchestrator.sql.Sql.bind;
import static dev.orca.orchestrator.sql.Sql.bindJson;

import dev.orca.orchestrator.sql.Sql;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The SQL of {@code agent_runs} and of the agents' rows in {@code mcp_tool_calls}. A run row is written when
 * the run starts (so its tool calls can reference it) and finished once; a tool call row is an intent
 * ({@code started}, {@code source = 'orchestrator'}, {@code agent_run_id} set) then one terminal update. The
 * first ending wins in both.
 */
@Repository
public class AgentRunStore {
  static final String INTERRUPTED = "interrupted: the replica running it stopped before it ended";
  private final DatabaseClient db;
  private final JsonMapper json;

  AgentRunStore(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /**
   * Writes the run's row. In the same statement, runs of the same step still open (and their open tool
   * calls) are closed as interrupted: one attempt of a step runs at a time under the lease, so an open one
   * is what a replica that died mid-run left behind.
   */
  Mono<Void> started(AgentRun run) {
    GenericExecuteSpec spec = db.sql("""
            WITH stale AS (
              UPDATE agent_runs SET error = :interrupted, completed_at = now()
               WHERE step_id = :stepId AND completed_at IS NULL
              RETURNING id),
            stale_calls AS (
              UPDATE mcp_tool_calls SET status = 'failed', outcome = 'upstream_error', error = :interrupted,
                     completed_at = now()
               WHERE agent_run_id IN (SELECT id FROM stale) AND status = 'started')
            INSERT INTO agent_runs (id, execution_id, step_id, agent_type, agent_slug, model, input, started_at)
            VALUES (:id, :executionId, :stepId, :type, :slug, :model, :input, now())
            """)
        .bind("interrupted", INTERRUPTED)
        .bind("id", run.id())
        .bind("type", run.agent().agentType())
        .bind("slug", run.agent().slug());
    spec = bind(spec, "executionId", run.invocation().executionId(), UUID.class);
    spec = bind(spec, "stepId", run.invocation().stepId(), UUID.class);
    spec = bind(spec, "model", run.ledger().model(), String.class);
    return bindJson(spec, "input", run.invocation().input(), json).then();
  }

  /** The run's ending: usage (null tokens when the provider reported none), cost, output and/or error. */
  Mono<Void> finished(UUID id, Ledger ledger, BigDecimal cost, long durationMs, JsonNode output, String error) {
    boolean usage = ledger.usageReported();
    GenericExecuteSpec spec = db.sql("""
            UPDATE agent_runs
               SET prompt_tokens = :prompt, completion_tokens = :completion, total_tokens = :total,
                   cost_usd = :cost, duration_ms = :durationMs, output = :output, tool_calls = :toolCalls,
                   error = :error, completed_at = now()
             WHERE id = :id AND completed_at IS NULL
            """)
        .bind("id", id)
        .bind("durationMs", clamp(durationMs));
    spec = bind(spec, "prompt", usage ? clamp(ledger.promptTokens()) : null, Integer.class);
    spec = bind(spec, "completion", usage ? clamp(ledger.completionTokens()) : null, Integer.class);
    spec = bind(spec, "total", usage ? clamp(ledger.promptTokens() + ledger.completionTokens()) : null, Integer.class);
    spec = bind(spec, "cost", cost, BigDecimal.class);
    spec = bind(spec, "error", error, String.class);
    spec = bindJson(spec, "output", output, json);
    return bindJson(spec, "toolCalls", json.valueToTree(ledger.toolCalls()), json).then();
  }

  /** The intent row of a tool call an agent run is about to make. */
  public Mono<Void> toolCallStarted(UUID callId, AgentRun run, String server, String tool, JsonNode params) {
    GenericExecuteSpec spec = db.sql("""
            INSERT INTO mcp_tool_calls (id, execution_id, step_id, agent_run_id, attempt, server_name, tool_name,
                                        params, status, source, started_at)
            VALUES (:id, :executionId, :stepId, :runId, :attempt, :server, :tool, :params, 'started', 'orchestrator', now())
            """)
        .bind("id", callId)
        .bind("runId", run.id())
        .bind("attempt", Math.max(1, run.invocation().attempt()))
        .bind("server", server)
        .bind("tool", tool);
    spec = bind(spec, "executionId", run.invocation().executionId(), UUID.class);
    spec = bind(spec, "stepId", run.invocation().stepId(), UUID.class);
    return bindJson(spec, "params", params, json).then();
  }

  /**
   * A tool call's ending: {@code status} completed | failed | cancelled, {@code outcome} success | tool_error |
   * upstream_error | rejected | timeout | cancelled.
   */
  public Mono<Void> toolCallEnded(UUID callId, String status, String outcome, JsonNode result, String error,
      long durationMs) {
    GenericExecuteSpec spec = db.sql("""
            UPDATE mcp_tool_calls
               SET status = :status, outcome = :outcome, result = :result, error = :error, duration_ms = :durationMs,
                   completed_at = now()
             WHERE id = :id AND status = 'started'
            """)
        .bind("id", callId)
        .bind("status", status)
        .bind("outcome", outcome)
        .bind("durationMs", clamp(durationMs));
    spec = bind(spec, "error", error, String.class);
    return bindJson(spec, "result", result, json).then();
  }

  /** The execution's agent runs in the order they started; empty for an unknown execution. */
  Flux<AgentRunView> forExecution(UUID executionId) {
    return db.sql("""
            SELECT r.id, s.step_name, r.agent_slug, r.agent_type, r.model, r.prompt_tokens, r.completion_tokens,
                   r.total_tokens, r.cost_usd, r.duration_ms, r.input, r.output, r.tool_calls, r.error, r.started_at,
                   r.completed_at
              FROM agent_runs r LEFT JOIN workflow_steps s ON s.id = r.step_id
             WHERE r.execution_id = :id
             ORDER BY r.started_at, r.id
            """)
        .bind("id", executionId)
        .map(row -> new AgentRunView(row.get("id", UUID.class), row.get("step_name", String.class),
            row.get("agent_slug", String.class), row.get("agent_type", String.class), row.get("model", String.class),
            row.get("prompt_tokens", Integer.class), row.get("completion_tokens", Integer.class),
            row.get("total_tokens", Integer.class), row.get("cost_usd", BigDecimal.class),
            row.get("duration_ms", Integer.class), Sql.readJson(row, "input", json), Sql.readJson(row, "output", json),
            Sql.readJson(row, "tool_calls", json), row.get("error", String.class),
            row.get("started_at", OffsetDateTime.class), row.get("completed_at", OffsetDateTime.class)))
        .all();
  }

  Mono<Boolean> executionExists(UUID executionId) {
    return db.sql("SELECT EXISTS (SELECT 1 FROM workflow_executions WHERE id = :id) AS found").bind("id", executionId)
        .map(row -> Boolean.TRUE.equals(row.get("found", Boolean.class))).one();
  }

  private static int clamp(long n) {
    return (int) Math.max(0, Math.min(Integer.MAX_VALUE, n));
  }
}
