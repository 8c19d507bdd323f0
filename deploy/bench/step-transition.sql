-- One step transition of the engine, statement for statement, as pgbench replays it (-M prepared: the
-- R2DBC driver also sends bound parameters on named prepared statements). Run by run-engine-bench:
--   pgbench -n -M prepared -f step-transition.sql -c <R2DBC pool size> -D n=-1 -D owner=pgbench -D input=... ...
-- Each pgbench client walks its own executions (seeded 'running', leased to 'pgbench'), step 0..4 in order,
-- so every statement finds and changes its rows exactly as in the engine; the 5th step completes the execution.
-- Per transition: 2 statements, each its own (autocommit) transaction = 2 round trips, 2 commits; plus,
-- at worst, one NOTIFY after each (a read-only statement: no WAL flush while it holds the NOTIFY lock).
-- Ids are computed from (client, sequence) in SQL: executions and tool calls zero-padded (different tables).
\set n :n + 1
\set k :client_id * 1000000 + :n / 5
\set idx :n % 5
\set last :idx = 4

-- 1. PostgresExecutionStore.startStep: fenced step start, the tool call's intent row, the event
WITH ex AS (
  SELECT e.id, w.name AS workflow, e.workflow_version FROM workflow_executions e
  JOIN workflows w ON w.id = e.workflow_id
  WHERE e.id = CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid) AND e.lease_owner = :owner AND e.status = 'running' AND e.cancel_requested_at IS NULL
  FOR UPDATE OF e),
prev AS (
  SELECT s.id, s.status FROM workflow_steps s JOIN ex ON s.execution_id = ex.id WHERE s.step_index = :idx),
st AS (
  UPDATE workflow_steps s
  SET status = 'running', input = CAST(:input AS jsonb), started_at = now(), completed_at = NULL, duration_ms = NULL, next_retry_at = NULL,
      retry_count = CASE WHEN prev.status = 'running' THEN s.retry_count + 1 ELSE s.retry_count END,
      error = CASE WHEN prev.status = 'running'
                   THEN 'attempt ' || (s.retry_count + 1) || ' was interrupted: the replica running it stopped'
                   ELSE s.error END
  FROM prev, ex WHERE s.id = prev.id AND prev.status IN ('pending', 'running')
  RETURNING s.id, s.step_name, s.retry_count, s.error, prev.status = 'running' AS interrupted, ex.workflow, ex.workflow_version),
orphaned AS (
  UPDATE mcp_tool_calls c
  SET status = 'failed', outcome = 'upstream_error', completed_at = now(),
      error = 'interrupted: the replica making this call stopped before it recorded the answer',
      duration_ms = (extract(epoch FROM now() - c.started_at) * 1000)::int
  FROM st WHERE st.interrupted AND c.step_id = st.id AND c.status = 'started'),
intent AS (
  INSERT INTO mcp_tool_calls (id, execution_id, step_id, attempt, server_name, tool_name, params, status, source, started_at)
  SELECT CAST(lpad(to_hex(CAST(:k AS bigint) * 8 + :idx), 32, '0') AS uuid), CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid),
         st.id, st.retry_count + 1, 'bench', 'echo', CAST(:input AS jsonb), 'started', 'orchestrator', now()
  FROM st WHERE CAST(lpad(to_hex(CAST(:k AS bigint) * 8 + :idx), 32, '0') AS uuid) IS NOT NULL),
ev AS (
  INSERT INTO execution_outbox (execution_id, event_type, payload)
  SELECT CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid), 'dev.orca.step.started', jsonb_build_object(
      'executionId', CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid), 'workflow', st.workflow,
      'workflowVersion', st.workflow_version, 'status', 'running',
      'step', jsonb_strip_nulls(jsonb_build_object('name', st.step_name, 'index', CAST(:idx AS int), 'status', 'running',
                                                   'retryCount', st.retry_count, 'error', st.error)))
  FROM st)
SELECT st.id, st.retry_count, st.interrupted FROM st;
-- ExecutionEventAnnouncer, after the commit (it batches the ids of many transitions into one NOTIFY under load)
SELECT pg_notify('orca_execution_events', CAST(CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid) AS text));

-- (the MCP tools/call happens here; the tool answers at once)

-- 2. PostgresExecutionStore.finishStep: execution progress, step output, the call completed, the events
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
  RETURNING e.id, e.workflow_id, e.workflow_version, e.status),
st AS (
  UPDATE workflow_steps s
  SET status = 'completed', output = CAST(:output AS jsonb), completed_at = now(), duration_ms = 1, next_retry_at = NULL,
      error = NULL, started_at = coalesce(s.started_at, now())
  FROM ex WHERE s.execution_id = ex.id AND s.step_index = :idx
  RETURNING s.step_name, s.retry_count, ex.status, ex.workflow_version,
            (SELECT name FROM workflows w WHERE w.id = ex.workflow_id) AS workflow),
tc AS (
  UPDATE mcp_tool_calls c
  SET status = 'completed', outcome = 'success', result = CAST(:output AS jsonb), duration_ms = 1, completed_at = now()
  FROM st WHERE c.id = CAST(lpad(to_hex(CAST(:k AS bigint) * 8 + :idx), 32, '0') AS uuid) AND c.status = 'started'),
ev AS (
  INSERT INTO execution_outbox (execution_id, event_type, payload)
  SELECT CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid), v.type,
         jsonb_build_object('executionId', CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid), 'workflow', st.workflow,
             'workflowVersion', st.workflow_version, 'status', st.status) || v.extra
  FROM st CROSS JOIN LATERAL (VALUES
      (1, 'dev.orca.step.' || 'completed', jsonb_build_object('step', jsonb_build_object('name', st.step_name,
          'index', CAST(:idx AS int), 'status', 'completed', 'retryCount', st.retry_count, 'durationMs', 1))),
      (2, 'dev.orca.execution.completed', '{}'::jsonb)) AS v(ord, type, extra)
  WHERE v.ord = 1 OR :last
  ORDER BY v.ord)
SELECT 1 FROM st;
SELECT pg_notify('orca_execution_events', CAST(CAST(lpad(to_hex(CAST(:k AS bigint)), 32, '0') AS uuid) AS text));
