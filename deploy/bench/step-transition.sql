-- The engine's step transitions, statement for statement, as pgbench replays them (-M prepared: the
-- R2DBC driver also sends bound parameters on named prepared statements). Run by run-engine-bench:
--   pgbench -n -M prepared -f step-transition.sql -c <R2DBC pool size> -D batch=B -D n=-1 -D owner=pgbench ...
-- Under load the engine writes the step starts (finishes) of many executions with one statement
-- (PostgresExecutionStore, StatementBatcher). Here each pgbench transaction is one such batch of :batch
-- executions at the same step: their starts in one statement, then their finishes in one, each its own
-- (autocommit) transaction, each followed by a NOTIFY as ExecutionEventAnnouncer sends after the commits.
-- So one pgbench transaction = :batch step transitions. Each client walks its own executions (seeded
-- 'running', leased to 'pgbench'), step 0..4 in order; the 5th step completes them.
-- The engine binds the requests as one JSON array; here the same array is built in SQL from the ids
-- (executions and tool calls: zero-padded hex of (client, sequence), different tables) and the JSON
-- values the engine wrote in the run.
\set n :n + 1
\set k0 :client_id * 1000000 + (:n / 5) * :batch
\set idx :n % 5
\set last :idx = 4

-- 1. PostgresExecutionStore.startSteps
WITH req AS (
  SELECT * FROM jsonb_to_recordset((
      SELECT jsonb_agg(jsonb_build_object('id', CAST(lpad(to_hex(CAST(:k0 AS bigint) + j), 32, '0') AS uuid),
                 'owner', CAST(:owner AS text), 'idx', CAST(:idx AS int), 'input', CAST(:input AS jsonb),
                 'call_id', CAST(lpad(to_hex((CAST(:k0 AS bigint) + j) * 8 + :idx), 32, '0') AS uuid),
                 'server', 'bench', 'tool', 'echo'))
      FROM generate_series(0, CAST(:batch AS int) - 1) j))
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
SELECT st.execution_id, st.id, st.retry_count, st.interrupted FROM st;
-- ExecutionEventAnnouncer, after the commit: one NOTIFY names the executions of the batch
SELECT pg_notify('orca_execution_events', (SELECT string_agg(CAST(CAST(lpad(to_hex(CAST(:k0 AS bigint) + j), 32, '0') AS uuid) AS text), ',')
                                           FROM generate_series(0, CAST(:batch AS int) - 1) j));

-- (the MCP tools/call happens here; the tool answers at once)

-- 2. PostgresExecutionStore.finishSteps
WITH req AS (
  SELECT * FROM jsonb_to_recordset((
      SELECT jsonb_agg(jsonb_build_object('id', CAST(lpad(to_hex(CAST(:k0 AS bigint) + j), 32, '0') AS uuid),
                 'owner', CAST(:owner AS text), 'idx', CAST(:idx AS int), 'last', CAST(:last AS boolean),
                 'status', 'completed', 'duration', 1, 'assign', CAST(:assign AS text) || (CAST(:idx AS int) + 1),
                 'assigned', CAST(:assigned AS jsonb),
                 'execution_output', CASE WHEN CAST(:last AS boolean) THEN CAST(:exec_output AS jsonb) END,
                 'output', CAST(:output AS jsonb),
                 'call_id', CAST(lpad(to_hex((CAST(:k0 AS bigint) + j) * 8 + :idx), 32, '0') AS uuid)))
      FROM generate_series(0, CAST(:batch AS int) - 1) j))
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
SELECT st.execution_id FROM st;
SELECT pg_notify('orca_execution_events', (SELECT string_agg(CAST(CAST(lpad(to_hex(CAST(:k0 AS bigint) + j), 32, '0') AS uuid) AS text), ',')
                                           FROM generate_series(0, CAST(:batch AS int) - 1) j));
