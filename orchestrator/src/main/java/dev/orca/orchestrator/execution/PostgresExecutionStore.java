package dev.orca.orchestrator.execution;

import static dev.orca.orchestrator.sql.Sql.bind;
import static dev.orca.orchestrator.sql.Sql.bindJson;
import static dev.orca.orchestrator.sql.Sql.readJson;

import dev.orca.orchestrator.engine.ClaimedExecution;
import dev.orca.orchestrator.engine.ExecutionStore;
import dev.orca.orchestrator.engine.StepFinish;
import dev.orca.orchestrator.engine.StepRetry;
import dev.orca.orchestrator.engine.StepStart;
import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The engine's store over PostgreSQL. Each transition is one transaction: the fenced update of the
 * execution (only the lease owner may write, and not once cancellation is requested), the step row,
 * and the transition's events in {@code execution_outbox} (announced with {@code pg_notify} at commit).
 */
@Repository
public class PostgresExecutionStore implements ExecutionStore {
  static final String WORK_CHANNEL = "orca_work";
  static final String CANCEL_CHANNEL = "orca_cancel";

  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final JsonMapper json;

  public PostgresExecutionStore(DatabaseClient db, TransactionalOperator tx, JsonMapper json) {
    this.db = db;
    this.tx = tx;
    this.json = json;
  }

  // ---------------------------------------------------------------- engine

  @Override
  public Flux<ClaimedExecution> claim(String owner, Duration lease, int max) {
    return db.sql("""
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
              INSERT INTO execution_outbox (execution_id, event_type, payload)
              SELECT c.id, 'dev.orca.execution.started', jsonb_build_object(
                  'executionId', c.id, 'workflow', w.name, 'workflowVersion', c.workflow_version, 'status', 'running')
              FROM claimed c JOIN workflows w ON w.id = c.workflow_id WHERE c.was = 'pending'
              RETURNING execution_id),
            notified AS (
              SELECT count(pg_notify('orca_execution_events', execution_id::text)) AS n FROM started)
            SELECT c.id, w.name AS workflow, c.workflow_version, v.definition, c.context, c.current_step_index,
                   c.cancel_requested_at IS NOT NULL AS cancel_requested, c.timeout_at, c.created_at,
                   (SELECT n FROM notified) AS notified
            FROM claimed c
            JOIN workflows w ON w.id = c.workflow_id
            JOIN workflow_versions v ON v.workflow_id = c.workflow_id AND v.version = c.workflow_version
            """)
        .bind("max", max)
        .bind("owner", owner)
        .bind("lease", lease.toMillis() / 1000.0)
        .map(row -> new ClaimedExecution(
            row.get("id", UUID.class),
            row.get("workflow", String.class),
            row.get("workflow_version", Integer.class),
            readJson(row, "definition", json),
            contextOf(row),
            row.get("current_step_index", Integer.class),
            Boolean.TRUE.equals(row.get("cancel_requested", Boolean.class)),
            instant(row, "timeout_at"),
            instant(row, "created_at")))
        .all();
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

  @Override
  public Mono<StepStart> startStep(UUID executionId, String owner, int index, String stepName, JsonNode input) {
    var spec = db.sql("""
        WITH ex AS (
          SELECT e.id, w.name AS workflow, e.workflow_version FROM workflow_executions e
          JOIN workflows w ON w.id = e.workflow_id
          WHERE e.id = :id AND e.lease_owner = :owner AND e.status = 'running' AND e.cancel_requested_at IS NULL
          FOR UPDATE OF e),
        prev AS (
          SELECT s.id, s.status FROM workflow_steps s JOIN ex ON s.execution_id = ex.id WHERE s.step_index = :index)
        UPDATE workflow_steps s
        SET status = 'running', input = :input, started_at = now(), completed_at = NULL, duration_ms = NULL, next_retry_at = NULL,
            retry_count = CASE WHEN prev.status = 'running' THEN s.retry_count + 1 ELSE s.retry_count END,
            error = CASE WHEN prev.status = 'running'
                         THEN 'attempt ' || (s.retry_count + 1) || ' was interrupted: the replica running it stopped'
                         ELSE s.error END
        FROM prev, ex WHERE s.id = prev.id AND prev.status IN ('pending', 'running')
        RETURNING s.id, s.retry_count, s.error, prev.status = 'running' AS interrupted, ex.workflow, ex.workflow_version
        """)
        .bind("id", executionId)
        .bind("owner", owner)
        .bind("index", index);
    return bindJson(spec, "input", input, json)
        .map(row -> new Written<>(
            new StepStart(row.get("id", UUID.class), row.get("retry_count", Integer.class) + 1,
                Boolean.TRUE.equals(row.get("interrupted", Boolean.class))),
            header(executionId, row, "running"),
            step(stepName, index, "running", row.get("retry_count", Integer.class), row.get("error", String.class), null)))
        .one()
        .flatMap(w -> events(executionId, List.of(event("dev.orca.step.started", w.header, w.step))).thenReturn(w.value))
        .as(tx::transactional);
  }

  @Override
  public Mono<Boolean> finishStep(StepFinish f) {
    var spec = db.sql("""
        WITH ex AS (
          UPDATE workflow_executions e SET
            context = CASE WHEN CAST(:assign AS text) IS NULL THEN e.context
                           ELSE coalesce(e.context, '{}'::jsonb) || jsonb_build_object(CAST(:assign AS text), CAST(:assigned AS jsonb)) END,
            current_step_index = :index + 1,
            status = CASE WHEN :last THEN 'completed' ELSE e.status END,
            output = CASE WHEN :last THEN CAST(:execution_output AS jsonb) ELSE e.output END,
            completed_at = CASE WHEN :last THEN now() ELSE e.completed_at END,
            lease_owner = CASE WHEN :last THEN NULL ELSE e.lease_owner END,
            lease_expires_at = CASE WHEN :last THEN NULL ELSE e.lease_expires_at END
          WHERE e.id = :id AND e.lease_owner = :owner AND e.status = 'running'
            AND e.cancel_requested_at IS NULL AND e.current_step_index = :index
          RETURNING e.id, e.workflow_id, e.workflow_version, e.status)
        UPDATE workflow_steps s
        SET status = :status, output = :output, completed_at = now(), duration_ms = :duration, next_retry_at = NULL,
            error = NULL, started_at = coalesce(s.started_at, now())
        FROM ex WHERE s.execution_id = ex.id AND s.step_index = :index
        RETURNING s.retry_count, ex.status, ex.workflow_version,
                  (SELECT name FROM workflows w WHERE w.id = ex.workflow_id) AS workflow
        """)
        .bind("id", f.executionId())
        .bind("owner", f.owner())
        .bind("index", f.stepIndex())
        .bind("last", f.last())
        .bind("status", f.status())
        .bind("duration", (int) Math.min(Integer.MAX_VALUE, f.durationMs()));
    spec = bind(spec, "assign", f.assign(), String.class);
    spec = bindJson(spec, "assigned", f.assignedValue(), json);
    spec = bindJson(spec, "execution_output", f.executionOutput(), json);
    spec = bindJson(spec, "output", f.output(), json);
    return spec
        .map(row -> {
          ObjectNode header = header(f.executionId(), row, row.get("status", String.class));
          List<Event> events = new ArrayList<>();
          events.add(event("dev.orca.step." + f.status(), header,
              step(f.stepName(), f.stepIndex(), f.status(), row.get("retry_count", Integer.class), null, f.durationMs())));
          if (f.last()) {
            events.add(event("dev.orca.execution.completed", header.deepCopy(), null));
          }
          return events;
        })
        .one()
        .as(events -> written(f.executionId(), events));
  }

  @Override
  public Mono<Boolean> retryStep(StepRetry r) {
    return db.sql("""
            WITH ex AS (
              UPDATE workflow_executions e SET next_run_at = :at, lease_owner = NULL, lease_expires_at = NULL
              WHERE e.id = :id AND e.lease_owner = :owner AND e.status = 'running' AND e.cancel_requested_at IS NULL
              RETURNING e.id, e.workflow_id, e.workflow_version, e.status)
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
        .bind("at", OffsetDateTime.ofInstant(r.at(), java.time.ZoneOffset.UTC))
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
  public Mono<Boolean> failExecution(UUID executionId, String owner, int stepIndex, String error, long durationMs) {
    return db.sql("""
            WITH ex AS (
              UPDATE workflow_executions e
              SET status = 'failed', error = :error, completed_at = now(), lease_owner = NULL, lease_expires_at = NULL
              WHERE e.id = :id AND e.lease_owner = :owner AND e.status = 'running' AND e.cancel_requested_at IS NULL
              RETURNING e.id, e.workflow_id, e.workflow_version, e.status),
            st AS (
              UPDATE workflow_steps s
              SET status = 'failed', error = :error, completed_at = now(), duration_ms = :duration, next_retry_at = NULL
              FROM ex WHERE s.execution_id = ex.id AND s.step_index = :index
              RETURNING s.step_name, s.retry_count)
            SELECT ex.status, ex.workflow_version, (SELECT name FROM workflows w WHERE w.id = ex.workflow_id) AS workflow,
                   st.step_name, st.retry_count
            FROM ex LEFT JOIN st ON true
            """)
        .bind("id", executionId)
        .bind("owner", owner)
        .bind("index", stepIndex)
        .bind("error", error)
        .bind("duration", (int) Math.min(Integer.MAX_VALUE, durationMs))
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
          RETURNING s.step_name, s.step_index, s.retry_count, s.started_at IS NOT NULL AS was_started)
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

  // ---------------------------------------------------------------- events

  private record Event(String type, ObjectNode payload) {}

  private record Written<T>(T value, ObjectNode header, ObjectNode step) {}

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
        .as(tx::transactional);
  }

  /** Appends the events in order and announces them; part of the caller's transaction. */
  private Mono<Void> events(UUID executionId, List<Event> events) {
    String[] types = events.stream().map(Event::type).toArray(String[]::new);
    String[] payloads = events.stream().map(e -> json.writeValueAsString(e.payload())).toArray(String[]::new);
    return db.sql("""
            WITH ins AS (
              INSERT INTO execution_outbox (execution_id, event_type, payload)
              SELECT :id, t.type, CAST(t.payload AS jsonb)
              FROM unnest(CAST(:types AS text[]), CAST(:payloads AS text[])) WITH ORDINALITY AS t(type, payload, ord)
              ORDER BY t.ord
              RETURNING 1)
            SELECT pg_notify('orca_execution_events', CAST(:id AS text)) FROM (SELECT count(*) FROM ins) c
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
