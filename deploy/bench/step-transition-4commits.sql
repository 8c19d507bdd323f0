-- BEFORE 2026-11-24: one step transition as the engine issued it until then (4 commits, 10 round trips).
-- Kept so run-engine-bench can measure the current statements (step-transition.sql) against it in one run.
--   pgbench -n -M prepared -f step-transition-4commits.sql -c <pool size> -D n=-1 -D owner=pgbench -D input=... ...
-- Each pgbench client walks its own executions (seeded running, leased to pgbench), step 0..4 in order.
-- The execution id is computed from (client, sequence) in SQL; the tool call id reuses the step id.
\set n :n + 1
\set k :client_id * 1000000 + :n / 5
\set idx :n % 5
\set last :idx = 4

-- 1. PostgresExecutionStore.startStep (one transaction: fenced step start + its event)
BEGIN;
WITH ex AS (
  SELECT e.id, w.name AS workflow, e.workflow_version FROM workflow_executions e
  JOIN workflows w ON w.id = e.workflow_id
  WHERE e.id = CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid) AND e.lease_owner = :owner AND e.status = 'running' AND e.cancel_requested_at IS NULL
  FOR UPDATE OF e),
prev AS (
  SELECT s.id, s.status FROM workflow_steps s JOIN ex ON s.execution_id = ex.id WHERE s.step_index = :idx)
UPDATE workflow_steps s
SET status = 'running', input = CAST(:input AS jsonb), started_at = now(), completed_at = NULL, duration_ms = NULL, next_retry_at = NULL,
    retry_count = CASE WHEN prev.status = 'running' THEN s.retry_count + 1 ELSE s.retry_count END,
    error = CASE WHEN prev.status = 'running'
                 THEN 'attempt ' || (s.retry_count + 1) || ' was interrupted: the replica running it stopped'
                 ELSE s.error END
FROM prev, ex WHERE s.id = prev.id AND prev.status IN ('pending', 'running')
RETURNING s.id, s.retry_count, s.error, prev.status = 'running' AS interrupted, ex.workflow, ex.workflow_version
\gset st_
WITH ins AS (
  INSERT INTO execution_outbox (execution_id, event_type, payload)
  SELECT CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid), t.type, CAST(t.payload AS jsonb)
  FROM unnest(CAST(:ev_types_started AS text[]), CAST(:ev_payloads_started AS text[])) WITH ORDINALITY AS t(type, payload, ord)
  ORDER BY t.ord
  RETURNING 1)
SELECT pg_notify('orca_execution_events', CAST(CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid) AS text)) FROM (SELECT count(*) FROM ins) c;
COMMIT;

-- 2. PostgresToolCallStore.started (autocommit): the intent row before the MCP call
INSERT INTO mcp_tool_calls
  (id, execution_id, step_id, attempt, server_name, tool_name, params, status, source, started_at)
VALUES (CAST(:st_id AS uuid), CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid), CAST(:st_id AS uuid), 1, 'bench', 'echo', CAST(:input AS jsonb), 'started', 'orchestrator', now());

-- (the MCP tools/call happens here; the tool answers at once)

-- 3. PostgresToolCallStore.completed (autocommit): the answer, whole
UPDATE mcp_tool_calls
SET status = 'completed', outcome = 'success', result = CAST(:output AS jsonb), duration_ms = 1, completed_at = now()
WHERE id = CAST(:st_id AS uuid) AND status = 'started';

-- 4. PostgresExecutionStore.finishStep (one transaction: step result + execution progress + events)
BEGIN;
\if :last
WITH ex AS (
  UPDATE workflow_executions e SET
    context = CASE WHEN CAST(:assign AS text) IS NULL THEN e.context
                   ELSE coalesce(e.context, '{}'::jsonb) || jsonb_build_object(CAST(:assign AS text), CAST(:assigned AS jsonb)) END,
    current_step_index = :idx + 1,
    status = CASE WHEN :last THEN 'completed' ELSE e.status END,
    output = CASE WHEN :last THEN CAST(:exec_output AS jsonb) ELSE e.output END,
    completed_at = CASE WHEN :last THEN now() ELSE e.completed_at END,
    lease_owner = CASE WHEN :last THEN NULL ELSE e.lease_owner END,
    lease_expires_at = CASE WHEN :last THEN NULL ELSE e.lease_expires_at END
  WHERE e.id = CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid) AND e.lease_owner = :owner AND e.status = 'running'
    AND e.cancel_requested_at IS NULL AND e.current_step_index = :idx
  RETURNING e.id, e.workflow_id, e.workflow_version, e.status)
UPDATE workflow_steps s
SET status = 'completed', output = CAST(:output AS jsonb), completed_at = now(), duration_ms = 1, next_retry_at = NULL,
    error = NULL, started_at = coalesce(s.started_at, now())
FROM ex WHERE s.execution_id = ex.id AND s.step_index = :idx
RETURNING s.retry_count, ex.status, ex.workflow_version,
          (SELECT name FROM workflows w WHERE w.id = ex.workflow_id) AS workflow
\gset fin_
WITH ins AS (
  INSERT INTO execution_outbox (execution_id, event_type, payload)
  SELECT CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid), t.type, CAST(t.payload AS jsonb)
  FROM unnest(CAST(:ev_types_last AS text[]), CAST(:ev_payloads_last AS text[])) WITH ORDINALITY AS t(type, payload, ord)
  ORDER BY t.ord
  RETURNING 1)
SELECT pg_notify('orca_execution_events', CAST(CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid) AS text)) FROM (SELECT count(*) FROM ins) c;
\else
WITH ex AS (
  UPDATE workflow_executions e SET
    context = CASE WHEN CAST(:assign AS text) IS NULL THEN e.context
                   ELSE coalesce(e.context, '{}'::jsonb) || jsonb_build_object(CAST(:assign AS text), CAST(:assigned AS jsonb)) END,
    current_step_index = :idx + 1,
    status = CASE WHEN :last THEN 'completed' ELSE e.status END,
    output = CASE WHEN :last THEN CAST(NULL AS jsonb) ELSE e.output END,
    completed_at = CASE WHEN :last THEN now() ELSE e.completed_at END,
    lease_owner = CASE WHEN :last THEN NULL ELSE e.lease_owner END,
    lease_expires_at = CASE WHEN :last THEN NULL ELSE e.lease_expires_at END
  WHERE e.id = CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid) AND e.lease_owner = :owner AND e.status = 'running'
    AND e.cancel_requested_at IS NULL AND e.current_step_index = :idx
  RETURNING e.id, e.workflow_id, e.workflow_version, e.status)
UPDATE workflow_steps s
SET status = 'completed', output = CAST(:output AS jsonb), completed_at = now(), duration_ms = 1, next_retry_at = NULL,
    error = NULL, started_at = coalesce(s.started_at, now())
FROM ex WHERE s.execution_id = ex.id AND s.step_index = :idx
RETURNING s.retry_count, ex.status, ex.workflow_version,
          (SELECT name FROM workflows w WHERE w.id = ex.workflow_id) AS workflow
\gset fin_
WITH ins AS (
  INSERT INTO execution_outbox (execution_id, event_type, payload)
  SELECT CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid), t.type, CAST(t.payload AS jsonb)
  FROM unnest(CAST(:ev_types_done AS text[]), CAST(:ev_payloads_done AS text[])) WITH ORDINALITY AS t(type, payload, ord)
  ORDER BY t.ord
  RETURNING 1)
SELECT pg_notify('orca_execution_events', CAST(CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid) AS text)) FROM (SELECT count(*) FROM ins) c;
\endif
COMMIT;
