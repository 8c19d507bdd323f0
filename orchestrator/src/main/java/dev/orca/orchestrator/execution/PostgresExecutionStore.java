package dev.orca.orchestrator.execution;

import static dev.orca.orchestrator.sql.Sql.bind;
import static dev.orca.orchestrator.sql.Sql.bindJson;
import static dev.orca.orchestrator.sql.Sql.jsonb;
import static dev.orca.orchestrator.sql.Sql.readJson;

import dev.orca.orchestrator.engine.ClaimedExecution;
import dev.orca.orchestrator.engine.ExecutionStore;
import dev.orca.orchestrator.engine.StepFinish;
import dev.orca.orchestrator.engine.StepRetry;
import dev.orca.orchestrator.engine.StepStart;
import dev.orca.orchestrator.engine.ToolCallEnding;
import dev.orca.orchestrator.engine.ToolCallIntent;
import dev.orca.orchestrator.events.ExecutionEventAnnouncer;
import dev.orca.orchestrator.sql.StatementBatcher;
import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The engine's store over PostgreSQL. Each transition is one transaction: the fenced update of the
 * execution (only the lease owner may write, and not once cancellation is requested), the step row,
 * and the transition's events in {@code execution_outbox} (announced after the commit, see
 * {@link ExecutionEventAnnouncer}). The hot transitions ({@link #startStep}, {@link #finishStep}) are one
 * statement each, so a step costs two round trips and two commits; under load, the starts (finishes) of
 * many executions share one statement ({@code orca.engine.write-batch-size}, {@code write-concurrency}).
 */
@Repository
public class PostgresExecutionStore implements ExecutionStore {
  static final String WORK_CHANNEL = "orca_work";
  static final String CANCEL_CHANNEL = "orca_cancel";
  /**
   * A CTE {@code tc} for a transition that ends a step attempt without its answer: the attempt's tool call
   * ({@code :call_id}) gets its ending; any other call of the execution still open (its replica died) fails.
   */
  private static final String END_TOOL_CALLS = """
      tc AS (
        UPDATE mcp_tool_calls c SET
          status = CASE WHEN c.id = CAST(:call_id AS uuid) THEN CAST(:call_status AS text) ELSE 'failed' END,
          outcome = CASE WHEN c.id = CAST(:call_id AS uuid) THEN CAST(:call_outcome AS text) ELSE 'upstream_error' END,
          result = CASE WHEN c.id = CAST(:call_id AS uuid) THEN CAST(:call_result AS jsonb) END,
          error = CASE WHEN c.id = CAST(:call_id AS uuid) THEN CAST(:call_error AS text)
                       ELSE 'interrupted: the replica making this call stopped before it recorded the answer' END,
          duration_ms = CASE WHEN c.id = CAST(:call_id AS uuid) THEN CAST(:call_duration AS int)
                             ELSE (extract(epoch FROM now() - c.started_at) * 1000)::int END,
          completed_at = now()
        FROM ex WHERE c.execution_id = ex.id AND c.status = 'started')
      """;

  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final JsonMapper json;
  private final ExecutionEventAnnouncer announcer;

  private final StatementBatcher<UUID, StartRequest, StepStart> starts;
  private final StatementBatcher<UUID, StepFinish, Boolean> finishes;

  PostgresExecutionStore(DatabaseClient db, TransactionalOperator tx, JsonMapper json, ExecutionEventAnnouncer announcer,
      EngineLifecycle.Properties engine) {
    this.db = db;
    this.tx = tx;
    this.json = json;
    this.announcer = announcer;
    this.starts = new StatementBatcher<>(engine.writeBatchSize(), engine.writeConcurrency(), StartRequest::executionId, this::startSteps);
    this.finishes = new StatementBatcher<>(engine.writeBatchSize(), engine.writeConcurrency(), StepFinish::executionId, this::finishSteps);
  }

  // ---------------------------------------------------------------- engine

  @Override
  public Flux<ClaimedExecution> claim(String owner, Duration lease, int max) {
    return Flux.defer(() -> {
      List<UUID> started = new ArrayList<>();
      return claimStatement(owner, lease, max)
          .map(row -> claimed(row, started))
          .all()
          // Emitted on completion, i.e. after the commit: rows stream in before it, and a step started (or
          // announced) for a row whose lease is not yet committed would not see that lease.
          .collectList()
          .doOnNext(claimed -> started.forEach(announcer::announce))
          .flatMapIterable(claimed -> claimed);
    });
  }

  /**
   * The {@code execution.started} event's insert for the rows aliased {@code rows} (with {@code id} and
   * {@code workflow_version}) of the workflow named by {@code workflowName}; the caller adds the FROM. One
   * shape whether the claim or an eager start ({@link ExecutionQueries#start}) set the execution running.
   */
  static String startedEvent(String rows, String workflowName) {
    return """
        INSERT INTO execution_outbox (execution_id, event_type, payload)
        SELECT %1$s.id, 'dev.orca.execution.started', jsonb_build_object(
            'executionId', %1$s.id, 'workflow', %2$s, 'workflowVersion', %1$s.workflow_version, 'status', 'running')"""
        .formatted(rows, workflowName);
  }

  /** Claims due executions by lease; those that were pending get their started event. */
  private static final String CLAIM = """
            WITH due AS (
              SELECT id, status AS was FROM workflow_executions
              WHERE status IN ('pending', 'running') AND next_run_at <= now()
                AND (lease_expires_at IS NULL OR lease_expires_at < now())
              ORDER BY next_run_at LIMIT :max FOR UPDATE SKIP LOCKED),
            claimed AS (
              UPDATE workflow_executions e
              SET lease_owner = :owner, lease_expires_at = now() + make_interval(secs => :lease), status = 'running',
                  started_at = CASE WHEN due.was = 'pending' THEN now() ELSE e.started_at END
              FROM due WHERE e.id = due.id
              RETURNING e.*, due.was),
            started AS (
              %s
              FROM claimed c JOIN workflows w ON w.id = c.workflow_id WHERE c.was = 'pending')
            SELECT c.id, w.name AS workflow, c.workflow_version, v.definition, c.context, c.current_step_index,
                   c.cancel_requested_at IS NOT NULL AS cancel_requested, c.timeout_at, c.created_at,
                   c.was = 'pending' AS started
            FROM claimed c
            JOIN workflows w ON w.id = c.workflow_id
            JOIN workflow_versions v ON v.workflow_id = c.workflow_id AND v.version = c.workflow_version
            """.formatted(startedEvent("c", "w.name"));

  private DatabaseClient.GenericExecuteSpec claimStatement(String owner, Duration lease, int max) {
    return db.sql(CLAIM)
        .bind("max", max)
        .bind("owner", owner)
        .bind("lease", lease.toMillis() / 1000.0);
  }

  private ClaimedExecution claimed(Readable row, List<UUID> started) {
    if (Boolean.TRUE.equals(row.get("started", Boolean.class))) {
      started.add(row.get("id", UUID.class));
    }
    return new ClaimedExecution(
            row.get("id", UUID.class),
            row.get("workflow", String.class),
            row.get("workflow_version", Integer.class),
            readJson(row, "definition", json),
            contextOf(row),
            row.get("current_step_index", Integer.class),
            Boolean.TRUE.equals(row.get("cancel_requested", Boolean.class)),
            instant(row, "timeout_at"),
            instant(row, "created_at"));
  }

  @Override
  public Mono<LeaseStatus> renew(UUID executionId, String owner, Duration lease) {
    return db.sql("""
            UPDATE workflow_executions SET lease_expires_at = now() + make_interval(secs => :lease)
            WHERE id = :id AND lease_owner = :owner AND status = 'running'
            RETURNING cancel_requested_at IS NOT NULL AS cancel_requested
            """)
        .bind("id", executionId)
        .bind("owner", owner)
        .bind("lease", lease.toMillis() / 1000.0)
        .map(row -> Boolean.TRUE.equals(row.get("cancel_requested", Boolean.class)) ? LeaseStatus.CANCEL_REQUESTED : LeaseStatus.HELD)
        .one()
        .defaultIfEmpty(LeaseStatus.LOST);
  }

  private record StartRequest(UUID executionId, String owner, int index, JsonNode input, ToolCallIntent toolCall) {}

  /**
   * The step starts of many executions in one statement (autocommit, see {@link StatementBatcher}): per
   * execution the fenced step update, the tool call's intent row, the interrupted attempt's open calls
   * marked failed, and the {@code step.started} event. Executions are locked in id order, so two
   * batches cannot deadlock. Announced once committed ({@code submit} emits after the commit).
   */
  @Override
  public Mono<StepStart> startStep(UUID executionId, String owner, int index, String stepName, JsonNode input,
      ToolCallIntent toolCall) {
    return starts.submit(new StartRequest(executionId, owner, index, input, toolCall))
        .doOnNext(started -> announcer.announce(executionId));
  }

  private Mono<Map<UUID, StepStart>> startSteps(List<StartRequest> batch) {
    ArrayNode requests = JsonNodeFactory.instance.arrayNode(batch.size());
    for (StartRequest r : batch) {
      ObjectNode q = requests.addObject()
          .put("id", r.executionId().toString())
          .put("owner", r.owner())
          .put("idx", r.index());
      putJson(q, "input", r.input());
      if (r.toolCall() != null) {
        q.put("call_id", r.toolCall().callId().toString()).put("server", r.toolCall().server()).put("tool", r.toolCall().tool());
      }
    }
    return db.sql("""
        WITH req AS (
          SELECT * FROM jsonb_to_recordset(CAST(:requests AS jsonb))
            AS r(id uuid, owner text, idx int, input jsonb, call_id uuid, server text, tool text)),
        ex AS (
          SELECT e.id, w.name AS workflow, e.workflow_version, r.idx, r.input, r.call_id, r.server, r.tool
          FROM workflow_executions e
          JOIN req r ON r.id = e.id
          JOIN workflows w ON w.id = e.workflow_id
          WHERE e.lease_owner = r.owner AND e.status = 'running' AND e.cancel_requested_at IS NULL
          ORDER BY e.id
          FOR UPDATE OF e),
        prev AS (
          SELECT s.id, s.status, ex.workflow, ex.workflow_version, ex.input, ex.call_id, ex.server, ex.tool
          FROM workflow_steps s JOIN ex ON s.execution_id = ex.id AND s.step_index = ex.idx),
        st AS (
          UPDATE workflow_steps s
          SET status = 'running', input = prev.input, started_at = now(), completed_at = NULL, duration_ms = NULL,
              next_retry_at = NULL,
              retry_count = CASE WHEN prev.status = 'running' THEN s.retry_count + 1 ELSE s.retry_count END,
              error = CASE WHEN prev.status = 'running'
                           THEN 'attempt ' || (s.retry_count + 1) || ' was interrupted: the replica running it stopped'
                           ELSE s.error END
          FROM prev WHERE s.id = prev.id AND prev.status IN ('pending', 'running')
          RETURNING s.id, s.execution_id, s.step_name, s.step_index, s.retry_count, s.error,
                    prev.status = 'running' AS interrupted, prev.workflow, prev.workflow_version, prev.input,
                    prev.call_id, prev.server, prev.tool),
        orphaned AS (
          UPDATE mcp_tool_calls c
          SET status = 'failed', outcome = 'upstream_error', completed_at = now(),
              error = 'interrupted: the replica making this call stopped before it recorded the answer',
              duration_ms = (extract(epoch FROM now() - c.started_at) * 1000)::int
          FROM st WHERE st.interrupted AND c.step_id = st.id AND c.status = 'started'),
        intent AS (
          INSERT INTO mcp_tool_calls (id, execution_id, step_id, attempt, server_name, tool_name, params, status, source, started_at)
          SELECT st.call_id, st.execution_id, st.id, st.retry_count + 1, st.server, st.tool, st.input, 'started', 'orchestrator', now()
          FROM st WHERE st.call_id IS NOT NULL),
        ev AS (
          INSERT INTO execution_outbox (execution_id, event_type, payload)
          SELECT st.execution_id, 'dev.orca.step.started', jsonb_build_object(
              'executionId', st.execution_id, 'workflow', st.workflow, 'workflowVersion', st.workflow_version, 'status', 'running',
              'step', jsonb_strip_nulls(jsonb_build_object('name', st.step_name, 'index', st.step_index, 'status', 'running',
                                                           'retryCount', st.retry_count, 'error', st.error)))
          FROM st ORDER BY st.execution_id)
        SELECT st.execution_id, st.id, st.retry_count, st.interrupted FROM st
        """)
        .bind("requests", jsonb(requests, json))
        .map(row -> Map.entry(row.get("execution_id", UUID.class), new StepStart(row.get("id", UUID.class),
            row.get("retry_count", Integer.class) + 1, Boolean.TRUE.equals(row.get("interrupted", Boolean.class)))))
        .all()
        .collectMap(Map.Entry::getKey, Map.Entry::getValue);
  }

  /**
   * The step finishes of many executions in one statement (autocommit, see {@link StatementBatcher}): per
   * execution its progress (context, step index, completion), the step's output, its tool call completed
   * with that output, and the events; announced once committed.
   */
  @Override
  public Mono<Boolean> finishStep(StepFinish f) {
    return finishes.submit(f)
        .doOnNext(written -> announcer.announce(f.executionId()))
        .defaultIfEmpty(false);
  }

  private Mono<Map<UUID, Boolean>> finishSteps(List<StepFinish> batch) {
    ArrayNode requests = JsonNodeFactory.instance.arrayNode(batch.size());
    for (StepFinish f : batch) {
      ObjectNode q = requests.addObject()
          .put("id", f.executionId().toString())
          .put("owner", f.owner())
          .put("idx", f.stepIndex())
          .put("last", f.last())
          .put("status", f.status())
          .put("duration", (int) Math.min(Integer.MAX_VALUE, f.durationMs()))
          .put("assign", f.assign())
          .put("call_id", f.toolCallId() == null ? null : f.toolCallId().toString());
      putJson(q, "assigned", f.assignedValue());
      putJson(q, "execution_output", f.executionOutput());
      putJson(q, "output", f.output());
    }
    return db.sql("""
        WITH req AS (
          SELECT * FROM jsonb_to_recordset(CAST(:requests AS jsonb))
            AS r(id uuid, owner text, idx int, last boolean, status text, duration int, assign text, assigned jsonb,
                 execution_output jsonb, output jsonb, call_id uuid)),
        locked AS (
          SELECT e.id FROM workflow_executions e JOIN req r ON r.id = e.id
          WHERE e.lease_owner = r.owner AND e.status = 'running' AND e.cancel_requested_at IS NULL
            AND e.current_step_index = r.idx
          ORDER BY e.id
          FOR UPDATE OF e),
        ex AS (
          UPDATE workflow_executions e SET
            context = CASE WHEN r.assign IS NULL THEN e.context
                           ELSE coalesce(e.context, '{}'::jsonb) || jsonb_build_object(r.assign, coalesce(r.assigned, 'null'::jsonb)) END,
            current_step_index = r.idx + 1,
            status = CASE WHEN r.last THEN 'completed' ELSE e.status END,
            output = CASE WHEN r.last THEN r.execution_output ELSE e.output END,
            completed_at = CASE WHEN r.last THEN now() ELSE e.completed_at END,
            lease_owner = CASE WHEN r.last THEN NULL ELSE e.lease_owner END,
            lease_expires_at = CASE WHEN r.last THEN NULL ELSE e.lease_expires_at END
          FROM locked JOIN req r ON r.id = locked.id
          WHERE e.id = locked.id
          RETURNING e.id, e.workflow_id, e.workflow_version, e.status),
        st AS (
          UPDATE workflow_steps s
          SET status = r.status, output = r.output, completed_at = now(), duration_ms = r.duration, next_retry_at = NULL,
              error = NULL, started_at = coalesce(s.started_at, now())
          FROM ex JOIN req r ON r.id = ex.id
          WHERE s.execution_id = ex.id AND s.step_index = r.idx
          RETURNING s.execution_id, s.step_name, s.step_index, s.retry_count, ex.status, ex.workflow_version, r.last,
                    r.status AS step_status, r.duration, r.output, r.call_id,
                    (SELECT name FROM workflows w WHERE w.id = ex.workflow_id) AS workflow),
        tc AS (
          UPDATE mcp_tool_calls c
          SET status = 'completed', outcome = 'success', result = st.output, duration_ms = st.duration, completed_at = now()
          FROM st WHERE c.id = st.call_id AND c.status = 'started'),
        ev AS (
          INSERT INTO execution_outbox (execution_id, event_type, payload)
          SELECT st.execution_id, v.type, jsonb_build_object('executionId', st.execution_id, 'workflow', st.workflow,
                     'workflowVersion', st.workflow_version, 'status', st.status) || v.extra
          FROM st CROSS JOIN LATERAL (VALUES
              (1, 'dev.orca.step.' || st.step_status, jsonb_build_object('step', jsonb_build_object('name', st.step_name,
                  'index', st.step_index, 'status', st.step_status, 'retryCount', st.retry_count, 'durationMs', st.duration))),
              (2, 'dev.orca.execution.completed', '{}'::jsonb)) AS v(ord, type, extra)
          WHERE v.ord = 1 OR st.last
          ORDER BY st.execution_id, v.ord)
        SELECT st.execution_id FROM st
        """)
        .bind("requests", jsonb(requests, json))
        .map(row -> row.get("execution_id", UUID.class))
        .all()
        .collectMap(id -> id, id -> Boolean.TRUE);
  }

  /** A JSON value as a request field; absent (SQL NULL) for null or missing. */
  private static void putJson(ObjectNode request, String field, JsonNode value) {
    if (value != null && !value.isMissingNode()) {
      request.set(field, value);
    }
  }

  @Override
  public Mono<Boolean> retryStep(StepRetry r) {
    var spec = db.sql("""
            WITH ex AS (
              UPDATE workflow_executions e SET next_run_at = :at, lease_owner = NULL, lease_expires_at = NULL
              WHERE e.id = :id AND e.lease_owner = :owner AND e.status = 'running' AND e.cancel_requested_at IS NULL
              RETURNING e.id, e.workflow_id, e.workflow_version, e.status),
            """ + END_TOOL_CALLS + """
            UPDATE workflow_steps s
            SET status = 'pending', error = :error, retry_count = s.retry_count + 1, next_retry_at = :at,
                duration_ms = :duration, completed_at = NULL
            FROM ex WHERE s.execution_id = ex.id AND s.step_index = :index
            RETURNING s.step_name, s.retry_count, ex.status, ex.workflow_version,
                      (SELECT name FROM workflows w WHERE w.id = ex.workflow_id) AS workflow
            """)
        .bind("id", r.executionId())
        .bind("owner", r.owner())
        .bind("index", r.stepIndex())
        .bind("error", r.error())
        .bind("duration", (int) Math.min(Integer.MAX_VALUE, r.durationMs()))
        .bind("at", OffsetDateTime.ofInstant(r.at(), java.time.ZoneOffset.UTC));
    return bindToolCall(spec, r.toolCall())
        .map(row -> {
          ObjectNode step = step(row.get("step_name", String.class), r.stepIndex(), "pending",
              row.get("retry_count", Integer.class), r.error(), r.durationMs());
          step.put("nextAttemptAt", r.at().toString());
          return event("dev.orca.step.retrying", header(r.executionId(), row, row.get("status", String.class)), step);
        })
        .one()
        .map(List::of)
        .as(events -> written(r.executionId(), events));
  }

  @Override
  public Mono<Boolean> failExecution(UUID executionId, String owner, int stepIndex, String error, long durationMs,
      ToolCallEnding toolCall) {
    var spec = db.sql("""
            WITH ex AS (
              UPDATE workflow_executions e
              SET status = 'failed', error = :error, completed_at = now(), lease_owner = NULL, lease_expires_at = NULL
              WHERE e.id = :id AND e.lease_owner = :owner AND e.status = 'running' AND e.cancel_requested_at IS NULL
              RETURNING e.id, e.workflow_id, e.workflow_version, e.status),
            st AS (
              UPDATE workflow_steps s
              SET status = 'failed', error = :error, completed_at = now(), duration_ms = :duration, next_retry_at = NULL
              FROM ex WHERE s.execution_id = ex.id AND s.step_index = :index
              RETURNING s.step_name, s.retry_count),
            """ + END_TOOL_CALLS + """
            SELECT ex.status, ex.workflow_version, (SELECT name FROM workflows w WHERE w.id = ex.workflow_id) AS workflow,
                   st.step_name, st.retry_count
            FROM ex LEFT JOIN st ON true
            """)
        .bind("id", executionId)
        .bind("owner", owner)
        .bind("index", stepIndex)
        .bind("error", error)
        .bind("duration", (int) Math.min(Integer.MAX_VALUE, durationMs));
    return bindToolCall(spec, toolCall)
        .map(row -> {
          ObjectNode header = header(executionId, row, "failed");
          List<Event> events = new ArrayList<>();
          String stepName = row.get("step_name", String.class);
          if (stepName != null) {
            events.add(event("dev.orca.step.failed", header,
                step(stepName, stepIndex, "failed", row.get("retry_count", Integer.class), error, durationMs)));
          }
          ObjectNode done = header.deepCopy();
          done.put("error", error);
          events.add(event("dev.orca.execution.failed", done, null));
          return events;
        })
        .one()
        .as(events -> written(executionId, events));
  }

  /**
   * Cancels the execution when {@code owner} holds its lease, or when nobody does (then {@code owner}
   * may be null: the API cancels an execution that is waiting directly).
   */
  @Override
  public Mono<Boolean> cancelExecution(UUID executionId, String owner) {
    var spec = db.sql("""
        WITH ex AS (
          UPDATE workflow_executions e
          SET status = 'cancelled', completed_at = now(), lease_owner = NULL, lease_expires_at = NULL,
              cancel_requested_at = coalesce(e.cancel_requested_at, now()), error = 'cancelled on request'
          WHERE e.id = :id AND e.status IN ('pending', 'running')
            AND (e.lease_owner = CAST(:owner AS text) OR e.lease_owner IS NULL OR e.lease_expires_at < now())
          RETURNING e.id, e.workflow_id, e.workflow_version, e.status),
        st AS (
          UPDATE workflow_steps s
          SET status = 'cancelled', next_retry_at = NULL,
              completed_at = CASE WHEN s.status = 'running' THEN now() END,
              duration_ms = CASE WHEN s.status = 'running'
                                 THEN (extract(epoch FROM now() - s.started_at) * 1000)::int END
          FROM ex WHERE s.execution_id = ex.id AND s.status IN ('pending', 'running')
          RETURNING s.step_name, s.step_index, s.retry_count, s.started_at IS NOT NULL AS was_started),
        tc AS (
          UPDATE mcp_tool_calls c
          SET status = 'cancelled', outcome = 'cancelled', completed_at = now(),
              duration_ms = (extract(epoch FROM now() - c.started_at) * 1000)::int
          FROM ex WHERE c.execution_id = ex.id AND c.status = 'started')
        SELECT ex.status, ex.workflow_version, (SELECT name FROM workflows w WHERE w.id = ex.workflow_id) AS workflow,
               (SELECT jsonb_agg(jsonb_build_object('name', step_name, 'index', step_index, 'retryCount', retry_count)
                                 ORDER BY step_index)
                FROM st WHERE was_started) AS interrupted
        FROM ex
        """)
        .bind("id", executionId);
    return bind(spec, "owner", owner, String.class)
        .map(row -> {
          ObjectNode header = header(executionId, row, "cancelled");
          List<Event> events = new ArrayList<>();
          JsonNode interrupted = readJson(row, "interrupted", json);
          if (interrupted != null) {
            for (JsonNode s : interrupted) {
              events.add(event("dev.orca.step.cancelled", header,
                  step(s.path("name").asString(), s.path("index").asInt(), "cancelled", s.path("retryCount").asInt(), null, null)));
            }
          }
          events.add(event("dev.orca.execution.cancelled", header.deepCopy(), null));
          return events;
        })
        .one()
        .as(events -> written(executionId, events));
  }

  @Override
  public Mono<Void> release(UUID executionId, String owner) {
    return db.sql("UPDATE workflow_executions SET lease_owner = NULL, lease_expires_at = NULL WHERE id = :id AND lease_owner = :owner")
        .bind("id", executionId)
        .bind("owner", owner)
        .then();
  }

  private DatabaseClient.GenericExecuteSpec bindToolCall(DatabaseClient.GenericExecuteSpec spec, ToolCallEnding call) {
    spec = bind(spec, "call_id", call == null ? null : call.callId(), UUID.class);
    spec = bind(spec, "call_status", call == null ? null : call.outcome().status(), String.class);
    spec = bind(spec, "call_outcome", call == null ? null : call.outcome().outcome(), String.class);
    spec = bind(spec, "call_error", call == null ? null : call.error(), String.class);
    spec = bind(spec, "call_duration", call == null ? null : (int) Math.min(Integer.MAX_VALUE, call.durationMs()), Integer.class);
    return bindJson(spec, "call_result", call == null ? null : call.result(), json);
  }

  // ---------------------------------------------------------------- events

  private record Event(String type, ObjectNode payload) {}

  private Event event(String type, ObjectNode header, ObjectNode step) {
    ObjectNode payload = header.deepCopy();
    if (step != null) {
      payload.set("step", step);
    }
    return new Event(type, payload);
  }

  /**
   * Runs a fenced transition in one transaction with its events: the transition's statement yields the
   * events when it changed a row (then true), or nothing when the fence held it back (then false).
   */
  private Mono<Boolean> written(UUID executionId, Mono<List<Event>> transition) {
    return transition
        .flatMap(events -> events(executionId, events).thenReturn(true))
        .defaultIfEmpty(false)
        .as(tx::transactional) // a Mono: emits once the transaction committed
        .doOnNext(written -> {
          if (written) {
            announcer.announce(executionId); // after the commit
          }
        });
  }

  /** Appends the events in order; part of the caller's transaction. */
  private Mono<Void> events(UUID executionId, List<Event> events) {
    String[] types = events.stream().map(Event::type).toArray(String[]::new);
    String[] payloads = events.stream().map(e -> json.writeValueAsString(e.payload())).toArray(String[]::new);
    return db.sql("""
            INSERT INTO execution_outbox (execution_id, event_type, payload)
            SELECT :id, t.type, CAST(t.payload AS jsonb)
            FROM unnest(CAST(:types AS text[]), CAST(:payloads AS text[])) WITH ORDINALITY AS t(type, payload, ord)
            ORDER BY t.ord
            """)
        .bind("id", executionId)
        .bind("types", types)
        .bind("payloads", payloads)
        .then();
  }

  private ObjectNode header(UUID executionId, io.r2dbc.spi.Readable row, String status) {
    ObjectNode header = JsonNodeFactory.instance.objectNode();
    header.put("executionId", executionId.toString());
    header.put("workflow", row.get("workflow", String.class));
    header.put("workflowVersion", row.get("workflow_version", Integer.class));
    header.put("status", status);
    return header;
  }

  private static ObjectNode step(String name, int index, String status, Integer retryCount, String error, Long durationMs) {
    ObjectNode step = JsonNodeFactory.instance.objectNode();
    step.put("name", name);
    step.put("index", index);
    step.put("status", status);
    step.put("retryCount", retryCount == null ? 0 : retryCount);
    if (error != null) {
      step.put("error", error);
    }
    if (durationMs != null) {
      step.put("durationMs", durationMs);
    }
    return step;
  }

  private ObjectNode contextOf(Readable row) {
    JsonNode context = readJson(row, "context", json);
    return context instanceof ObjectNode o ? o : JsonNodeFactory.instance.objectNode();
  }

  static Instant instant(Readable row, String column) {
    OffsetDateTime t = row.get(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }
}
