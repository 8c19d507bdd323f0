package dev.orca.orchestrator.execution;

import static dev.orca.orchestrator.execution.PostgresExecutionStore.instant;
import static dev.orca.orchestrator.sql.Sql.bind;
import static dev.orca.orchestrator.sql.Sql.bindJson;
import static dev.orca.orchestrator.sql.Sql.readJson;

import io.r2dbc.spi.Readable;
import dev.orca.orchestrator.engine.ClaimedExecution;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The API's side of executions: starting one (idempotently), asking for cancellation, reading them.
 * The engine's transitions are in {@link PostgresExecutionStore}.
 */
@Repository
public class ExecutionQueries {
  private final DatabaseClient db;
  private final JsonMapper json;

  public ExecutionQueries(DatabaseClient db, JsonMapper json) {
    this.db = db;
    this.json = json;
  }

  /** What starting an execution found: the workflow missing or disabled, a new execution, or the existing one for the key. */
  public sealed interface StartOutcome {
    record UnknownWorkflow(String name) implements StartOutcome {}
    record DisabledWorkflow(String name) implements StartOutcome {}
    /**
     * {@code view}: the new execution as created, or null when the start did not build it; {@code claimed}:
     * what the engine runs, when it was created with a lease on it, else null.
     */
    record Started(UUID id, ExecutionView view, ClaimedExecution claimed) implements StartOutcome {
      public Started(UUID id) {
        this(id, null, null);
      }
    }
    record AlreadyStarted(UUID id) implements StartOutcome {}
  }

  /**
   * What started an execution from an event: the {@code events} row (one execution per workflow and
   * event) and the context roots it contributes besides {@code input} and {@code execution}, such as
   * {@code event} and {@code repo}.
   */
  public record Trigger(UUID eventId, JsonNode context) {}

  /** {@link #start}: the workflow's lookup, the execution (claimed when given a lease), its steps, its started event. */
  private static final String START = """
        WITH w AS (SELECT id, version, enabled FROM workflows WHERE name = :workflow),
        v AS (SELECT v.definition FROM w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version),
        ex AS (
          INSERT INTO workflow_executions
            (id, workflow_id, workflow_version, status, input, context, idempotency_key, triggered_by,
             timeout_at, next_run_at, lease_owner, lease_expires_at, started_at)
          SELECT :id, w.id, w.version, CASE WHEN CAST(:owner AS text) IS NULL THEN 'pending' ELSE 'running' END, :input,
                 jsonb_build_object('input', CAST(:input AS jsonb),
                     'execution', jsonb_build_object('id', CAST(:id AS uuid), 'workflow', CAST(:workflow AS text), 'version', w.version)),
                 :key, :triggered_by,
                 now() + make_interval(secs => coalesce(CAST(:timeout_ms AS bigint),
                     (SELECT CAST(v.definition ->> 'timeoutMs' AS bigint) FROM v)) / 1000.0),
                 now(), :owner,
                 CASE WHEN CAST(:owner AS text) IS NOT NULL THEN now() + make_interval(secs => :lease) END,
                 CASE WHEN CAST(:owner AS text) IS NOT NULL THEN now() END
          FROM w WHERE w.enabled
          -- the same idempotency key for this workflow: the existing execution stands
          ON CONFLICT DO NOTHING
          RETURNING id, workflow_id, workflow_version, status, context, timeout_at, created_at),
        steps AS (
          INSERT INTO workflow_steps (execution_id, step_name, step_index)
          SELECT ex.id, s.step ->> 'name', s.ord - 1
          FROM ex, v, jsonb_array_elements(v.definition -> 'steps') WITH ORDINALITY AS s(step, ord)
          RETURNING step_name, step_index),
        started AS (
          %s
          FROM ex WHERE ex.status = 'running')
        SELECT w.id AS workflow_id, w.enabled, ex.id, ex.workflow_version, ex.status, ex.created_at, ex.timeout_at,
               CASE WHEN ex.status = 'running' THEN ex.context END AS context,
               CASE WHEN ex.status = 'running' THEN (SELECT definition FROM v) END AS definition,
               (SELECT jsonb_agg(step_name ORDER BY step_index) FROM steps) AS steps
        FROM w LEFT JOIN ex ON true
        """.formatted(PostgresExecutionStore.startedEvent("ex", "CAST(:workflow AS text)"));

  /** The lease an execution is created with when the starting replica's engine runs it at once. */
  public record Lease(String owner, Duration duration) {}

  /**
   * Creates the execution with its steps (pending) on the workflow's current version, in one
   * statement; the same {@code idempotencyKey} returns the existing one.
   *
   * <p>Without a {@code lease} the execution is pending and the caller wakes the engines once it is
   * committed ({@link WorkAnnouncer}). With one it is created claimed, as the engine's claim would leave
   * it (running, the lease, {@code started_at}, the {@code execution.started} event), and the outcome
   * carries what the engine needs to run it: an eager start, without a claim statement or a wake-up.
   */
  public Mono<StartOutcome> start(String workflow, JsonNode input, String idempotencyKey, String triggeredBy, Long timeoutMs,
      Lease lease) {
    UUID id = UUID.randomUUID();
    var spec = db.sql(START)
        .bind("id", id)
        .bind("workflow", workflow)
        .bind("lease", lease == null ? 0.0 : lease.duration().toMillis() / 1000.0);
    spec = bindJson(spec, "input", input, json);
    spec = bind(spec, "key", idempotencyKey, String.class);
    spec = bind(spec, "triggered_by", triggeredBy, String.class);
    spec = bind(spec, "timeout_ms", timeoutMs, Long.class);
    spec = bind(spec, "owner", lease == null ? null : lease.owner(), String.class);
    return spec
        .map(row -> {
          if (!Boolean.TRUE.equals(row.get("enabled", Boolean.class))) {
            return Mono.<StartOutcome>just(new StartOutcome.DisabledWorkflow(workflow));
          }
          UUID created = row.get("id", UUID.class);
          if (created == null) {
            return existing(row.get("workflow_id", UUID.class), idempotencyKey);
          }
          return Mono.<StartOutcome>just(started(row, created, workflow, input, triggeredBy, idempotencyKey));
        })
        .one()
        .flatMap(outcome -> outcome)
        .defaultIfEmpty(new StartOutcome.UnknownWorkflow(workflow));
  }

  private StartOutcome.Started started(Readable row, UUID id, String workflow, JsonNode input, String triggeredBy,
      String idempotencyKey) {
    List<ExecutionView.StepView> steps = new ArrayList<>();
    JsonNode names = readJson(row, "steps", json);
    for (int i = 0; names != null && i < names.size(); i++) {
      steps.add(new ExecutionView.StepView(names.get(i).asString(), i, "pending", null, null, null, null, 0, null, null, null));
    }
    int version = row.get("workflow_version", Integer.class);
    String status = row.get("status", String.class);
    Instant createdAt = instant(row, "created_at");
    boolean claimed = "running".equals(status);
    ExecutionView view = new ExecutionView(id, workflow, version, status, input, null, null, triggeredBy, idempotencyKey,
        createdAt, claimed ? createdAt : null, null, null, steps);
    return new StartOutcome.Started(id, view, !claimed ? null : new ClaimedExecution(id, workflow, version,
        readJson(row, "definition", json), (ObjectNode) readJson(row, "context", json), 0, false,
        instant(row, "timeout_at"), createdAt));
  }

  /** The execution an insert conflicted with: the same idempotency key for the workflow. */
  private Mono<StartOutcome> existing(UUID workflowId, String idempotencyKey) {
    if (idempotencyKey == null) {
      return Mono.error(new IllegalStateException("execution insert returned nothing"));
    }
    return db.sql("SELECT id FROM workflow_executions WHERE workflow_id = :workflow_id AND idempotency_key = :key")
        .bind("workflow_id", workflowId)
        .bind("key", idempotencyKey)
        .map(row -> (StartOutcome) new StartOutcome.AlreadyStarted(row.get("id", UUID.class)))
        .one();
  }

  /** An execution an event starts, for {@link #startAll}. */
  public record EventStart(String workflow, JsonNode input, Trigger trigger) {}

  /**
   * Creates the executions events start (pending, with their trigger event and context) in one statement,
   * in the caller's transaction; the same trigger event for the same workflow returns the existing
   * execution. They are created in the order given ({@code created_at} and {@code next_run_at} are the
   * clock at each insert). An {@link StartOutcome.AlreadyStarted} has a null id when
   * a concurrent transaction committed that execution while this statement ran.
   *
   * @return one outcome a start, in their order
   */
  public Mono<List<StartOutcome>> startAll(List<EventStart> starts, String triggeredBy) {
    if (starts.isEmpty()) {
      return Mono.just(List.of());
    }
    var spec = db.sql("""
        WITH given AS (
          SELECT g.ord, g.id, g.workflow, CAST(g.input AS jsonb) AS input, CAST(g.context AS jsonb) AS context, g.event_id,
                 w.id AS workflow_id, w.version, w.enabled
          FROM unnest(CAST(:ids AS uuid[]), CAST(:workflows AS text[]), CAST(:inputs AS text[]), CAST(:contexts AS text[]),
                      CAST(:events AS uuid[])) WITH ORDINALITY AS g(id, workflow, input, context, event_id, ord)
          LEFT JOIN workflows w ON w.name = g.workflow),
        ex AS (
          INSERT INTO workflow_executions
            (id, workflow_id, workflow_version, status, input, context, trigger_event_id, triggered_by, timeout_at,
             next_run_at, created_at)
          SELECT g.id, g.workflow_id, g.version, 'pending', g.input,
                 g.context || jsonb_build_object('input', g.input,
                                                 'execution', jsonb_build_object('id', g.id, 'workflow', g.workflow, 'version', g.version)),
                 g.event_id, :triggered_by,
                 now() + make_interval(secs => CAST(v.definition ->> 'timeoutMs' AS bigint) / 1000.0),
                 clock_timestamp(), clock_timestamp()
          FROM given g JOIN workflow_versions v ON v.workflow_id = g.workflow_id AND v.version = g.version
          WHERE g.enabled
          ORDER BY g.ord
          -- the same trigger event for this workflow: the existing execution stands
          ON CONFLICT DO NOTHING
          RETURNING id, workflow_id, workflow_version),
        steps AS (
          INSERT INTO workflow_steps (execution_id, step_name, step_index)
          SELECT ex.id, s.step ->> 'name', s.ord - 1
          FROM ex JOIN workflow_versions v ON v.workflow_id = ex.workflow_id AND v.version = ex.workflow_version,
               jsonb_array_elements(v.definition -> 'steps') WITH ORDINALITY AS s(step, ord))
        SELECT g.workflow_id IS NOT NULL AS known, coalesce(g.enabled, false) AS enabled, ex.id AS started, old.id AS existing,
               CASE WHEN ex.id IS NOT NULL THEN pg_notify('orca_work', CAST(ex.id AS text)) END AS notified
        FROM given g
        LEFT JOIN ex ON ex.id = g.id
        LEFT JOIN workflow_executions old ON ex.id IS NULL AND old.workflow_id = g.workflow_id AND old.trigger_event_id = g.event_id
        ORDER BY g.ord
        """)
        .bind("ids", starts.stream().map(s -> UUID.randomUUID().toString()).toArray(String[]::new))
        .bind("workflows", starts.stream().map(EventStart::workflow).toArray(String[]::new))
        .bind("inputs", starts.stream().map(s -> json.writeValueAsString(s.input())).toArray(String[]::new))
        .bind("contexts", starts.stream().map(s -> json.writeValueAsString(s.trigger().context())).toArray(String[]::new))
        .bind("events", starts.stream().map(s -> s.trigger().eventId().toString()).toArray(String[]::new));
    return bind(spec, "triggered_by", triggeredBy, String.class)
        .map(row -> new Object[] {row.get("known", Boolean.class), row.get("enabled", Boolean.class),
            row.get("started", UUID.class), row.get("existing", UUID.class)})
        .all()
        .collectList()
        .map(rows -> {
          List<StartOutcome> outcomes = new ArrayList<>();
          for (int i = 0; i < rows.size(); i++) {
            Object[] row = rows.get(i);
            String workflow = starts.get(i).workflow();
            outcomes.add(!Boolean.TRUE.equals(row[0]) ? new StartOutcome.UnknownWorkflow(workflow)
                : !Boolean.TRUE.equals(row[1]) ? new StartOutcome.DisabledWorkflow(workflow)
                : row[2] != null ? new StartOutcome.Started((UUID) row[2])
                : new StartOutcome.AlreadyStarted((UUID) row[3]));
          }
          return outcomes;
        });
  }

  /** What a cancellation request found. */
  public enum CancelOutcome { UNKNOWN, ALREADY_FINISHED, REQUESTED_WHILE_RUNNING, REQUESTED_WHILE_WAITING }

  /** Records the request; the caller cancels a waiting execution itself and tells the running replica otherwise. */
  public Mono<CancelOutcome> requestCancel(UUID id) {
    return db.sql("""
            WITH req AS (
              UPDATE workflow_executions SET cancel_requested_at = coalesce(cancel_requested_at, now())
              WHERE id = :id AND status IN ('pending', 'running')
              RETURNING lease_owner IS NOT NULL AND lease_expires_at > now() AS leased)
            SELECT (SELECT leased FROM req) AS leased, EXISTS (SELECT 1 FROM workflow_executions WHERE id = :id) AS known,
                   (SELECT count(pg_notify('orca_cancel', CAST(:id AS text))) FROM req) AS notified
            """)
        .bind("id", id)
        .map(row -> {
          Boolean leased = row.get("leased", Boolean.class);
          if (leased == null) {
            return Boolean.TRUE.equals(row.get("known", Boolean.class)) ? CancelOutcome.ALREADY_FINISHED : CancelOutcome.UNKNOWN;
          }
          return leased ? CancelOutcome.REQUESTED_WHILE_RUNNING : CancelOutcome.REQUESTED_WHILE_WAITING;
        })
        .one();
  }

  /** The execution and its steps from one statement, so both come from the same snapshot. */
  public Mono<ExecutionView> find(UUID id) {
    return db.sql(EXECUTION_COLUMNS.replace("FROM workflow_executions e", """
              , (SELECT jsonb_agg(jsonb_build_object(
                    'name', s.step_name, 'index', s.step_index, 'status', s.status, 'input', s.input, 'output', s.output,
                    'error', s.error, 'durationMs', s.duration_ms, 'retryCount', s.retry_count, 'startedAt', s.started_at,
                    'completedAt', s.completed_at, 'nextRetryAt', s.next_retry_at) ORDER BY s.step_index)
                 FROM workflow_steps s WHERE s.execution_id = e.id) AS steps
            FROM workflow_executions e""") + " WHERE e.id = :id")
        .bind("id", id)
        .map(row -> execution(row).withSteps(steps(readJson(row, "steps", json))))
        .one();
  }

  private static List<ExecutionView.StepView> steps(JsonNode steps) {
    List<ExecutionView.StepView> views = new ArrayList<>();
    if (steps != null) {
      for (JsonNode s : steps) {
        views.add(new ExecutionView.StepView(
            s.path("name").asString(),
            s.path("index").asInt(),
            s.path("status").asString(),
            nullable(s.get("input")),
            nullable(s.get("output")),
            s.path("error").isNull() ? null : s.path("error").asString(),
            s.path("durationMs").isNull() ? null : s.path("durationMs").asInt(),
            s.path("retryCount").asInt(),
            time(s.get("startedAt")),
            time(s.get("completedAt")),
            time(s.get("nextRetryAt"))));
      }
    }
    return views;
  }

  private static JsonNode nullable(JsonNode node) {
    return node == null || node.isNull() ? null : node;
  }

  private static Instant time(JsonNode node) {
    return node == null || node.isNull() ? null : OffsetDateTime.parse(node.asString()).toInstant();
  }

  /** One MCP tool call a step made, as recorded in {@code mcp_tool_calls}. */
  public record ToolCallView(UUID id, String stepName, int attempt, String server, String tool, String status,
      String outcome, JsonNode params, JsonNode result, String error, Integer durationMs, Instant startedAt,
      Instant completedAt) {}

  /** The execution's tool calls in the order they were made; empty for an unknown execution. */
  public Flux<ToolCallView> toolCalls(UUID executionId) {
    return db.sql("""
            SELECT c.id, s.step_name, c.attempt, c.server_name, c.tool_name, c.status, c.outcome, c.params, c.result,
                   c.error, c.duration_ms, c.started_at, c.completed_at
            FROM mcp_tool_calls c LEFT JOIN workflow_steps s ON s.id = c.step_id
            WHERE c.execution_id = :id
            ORDER BY c.started_at, c.id
            """)
        .bind("id", executionId)
        .map(row -> new ToolCallView(
            row.get("id", UUID.class),
            row.get("step_name", String.class),
            row.get("attempt", Integer.class),
            row.get("server_name", String.class),
            row.get("tool_name", String.class),
            row.get("status", String.class),
            row.get("outcome", String.class),
            readJson(row, "params", json),
            readJson(row, "result", json),
            row.get("error", String.class),
            row.get("duration_ms", Integer.class),
            instant(row, "started_at"),
            instant(row, "completed_at")))
        .all();
  }

  /** Newest first; {@code after} is the last (createdAt, id) of the previous page. */
  public Flux<ExecutionView> list(String workflow, String status, int limit, Instant afterCreatedAt, UUID afterId) {
    var spec = db.sql(EXECUTION_COLUMNS + """
         WHERE (CAST(:workflow AS text) IS NULL OR w.name = CAST(:workflow AS text))
           AND (CAST(:status AS text) IS NULL OR e.status = CAST(:status AS text))
           AND (CAST(:after_at AS timestamptz) IS NULL OR (e.created_at, e.id) < (CAST(:after_at AS timestamptz), CAST(:after_id AS uuid)))
         ORDER BY e.created_at DESC, e.id DESC
         LIMIT :limit
        """)
        .bind("limit", limit);
    spec = bind(spec, "workflow", workflow, String.class);
    spec = bind(spec, "status", status, String.class);
    spec = bind(spec, "after_at", afterCreatedAt == null ? null : OffsetDateTime.ofInstant(afterCreatedAt, ZoneOffset.UTC), OffsetDateTime.class);
    spec = bind(spec, "after_id", afterId, UUID.class);
    return spec.map(this::execution).all();
  }

  private static final String EXECUTION_COLUMNS = """
      SELECT e.id, w.name AS workflow, e.workflow_version, e.status, e.input, e.output, e.error, e.triggered_by,
             e.idempotency_key, e.created_at, e.started_at, e.completed_at, e.cancel_requested_at
      FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id
      """;

  private ExecutionView execution(Readable row) {
    String status = row.get("status", String.class);
    return new ExecutionView(
        row.get("id", UUID.class),
        row.get("workflow", String.class),
        row.get("workflow_version", Integer.class),
        status,
        readJson(row, "input", json),
        readJson(row, "output", json),
        row.get("error", String.class),
        row.get("triggered_by", String.class),
        row.get("idempotency_key", String.class),
        instant(row, "created_at"),
        status.equals("pending") ? null : instant(row, "started_at"),
        instant(row, "completed_at"),
        instant(row, "cancel_requested_at"),
        List.of());
  }
}
