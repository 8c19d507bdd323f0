-- V2: what the engine needs beyond AFU-9 (DESIGN §2, §3, §4, §10):
--  * workflow_versions keeps every definition a workflow has had, so an execution
--    keeps running the version it started with after PUT makes a new one;
--  * engine columns on workflow_executions: version run, idempotency key, trigger
--    event, lease, wake-up time, cancellation request, progress, deadline;
--  * retry wake-up time on workflow_steps;
--  * intent/audit columns on mcp_tool_calls shared by orchestrator and gateway.

-- ---------------------------------------------------------------------------
-- workflow_versions: every version of every definition (including the current
-- one, which is also in workflows.definition). The orchestrator inserts the row
-- in the same transaction that creates or updates the workflow.
-- ---------------------------------------------------------------------------
CREATE TABLE workflow_versions (
  workflow_id UUID        NOT NULL,
  version     INTEGER     NOT NULL,
  definition  JSONB       NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT pk_workflow_versions PRIMARY KEY (workflow_id, version),
  CONSTRAINT fk_workflow_versions_workflow FOREIGN KEY (workflow_id)
    REFERENCES workflows (id) ON DELETE CASCADE,
  CONSTRAINT chk_workflow_versions_version_positive CHECK (version >= 1),
  CONSTRAINT chk_workflow_versions_definition_is_object CHECK (jsonb_typeof(definition) = 'object')
);

-- ---------------------------------------------------------------------------
-- workflow_executions: engine columns.
-- trigger_event_id's foreign key to events(id) is added in V4, with events.
-- ---------------------------------------------------------------------------
ALTER TABLE workflow_executions
  -- the definition version this execution runs (never changes after insert)
  ADD COLUMN workflow_version    INTEGER      NOT NULL,
  -- client-supplied Idempotency-Key; the same key for the same workflow returns the same execution
  ADD COLUMN idempotency_key     VARCHAR(255),
  -- the event that started this execution, if any; one execution per (workflow, event)
  ADD COLUMN trigger_event_id    UUID,
  -- replica holding the lease, and until when; both set or both null
  ADD COLUMN lease_owner         VARCHAR(255),
  ADD COLUMN lease_expires_at    TIMESTAMPTZ,
  -- earliest time the engine should look at this execution again (retry back-off, wake-up)
  ADD COLUMN next_run_at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
  -- set by POST .../cancel; the replica running the execution reacts to it
  ADD COLUMN cancel_requested_at TIMESTAMPTZ,
  -- index of the first step not yet finished
  ADD COLUMN current_step_index  INTEGER      NOT NULL DEFAULT 0,
  -- per-execution deadline, null for none
  ADD COLUMN timeout_at          TIMESTAMPTZ,
  ADD CONSTRAINT fk_workflow_executions_workflow_version FOREIGN KEY (workflow_id, workflow_version)
    REFERENCES workflow_versions (workflow_id, version),
  ADD CONSTRAINT uq_workflow_executions_workflow_idempotency_key UNIQUE (workflow_id, idempotency_key),
  ADD CONSTRAINT uq_workflow_executions_workflow_trigger_event UNIQUE (workflow_id, trigger_event_id),
  ADD CONSTRAINT chk_workflow_executions_lease_owner_and_expiry_together
    CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL)),
  ADD CONSTRAINT chk_workflow_executions_current_step_index_non_negative
    CHECK (current_step_index >= 0),
  ADD CONSTRAINT chk_workflow_executions_idempotency_key_not_blank
    CHECK (idempotency_key IS NULL OR btrim(idempotency_key) <> '');

-- Serves the claim statement (DESIGN §10):
--   WHERE status IN ('pending','running') AND next_run_at <= now() ... ORDER BY next_run_at
CREATE INDEX idx_executions_claim ON workflow_executions (next_run_at)
  WHERE status IN ('pending', 'running');
-- Foreign key to events (V4): deleting an event looks executions up by it.
CREATE INDEX idx_executions_trigger_event_id ON workflow_executions (trigger_event_id)
  WHERE trigger_event_id IS NOT NULL;

-- ---------------------------------------------------------------------------
-- workflow_steps: when a failed attempt will be retried (null when not waiting).
-- retry_count (V1) counts retries; the current attempt is retry_count + 1.
-- ---------------------------------------------------------------------------
ALTER TABLE workflow_steps
  ADD COLUMN next_retry_at TIMESTAMPTZ;

-- ---------------------------------------------------------------------------
-- mcp_tool_calls: one table for the orchestrator's intent rows (written before a
-- tool step calls the gateway) and the gateway's audit rows (every relayed call).
-- ---------------------------------------------------------------------------
ALTER TABLE mcp_tool_calls
  ADD COLUMN step_id UUID,
  -- which attempt of the step made the call (1 = first)
  ADD COLUMN attempt INTEGER     NOT NULL DEFAULT 1,
  ADD COLUMN status  VARCHAR(20) NOT NULL DEFAULT 'started',
  -- how a finished call ended, null while started
  ADD COLUMN outcome VARCHAR(30),
  -- who made the call: the orchestrator's engine, or an external MCP client of the gateway
  ADD COLUMN source  VARCHAR(20) NOT NULL DEFAULT 'external',
  ADD CONSTRAINT fk_mcp_tool_calls_step FOREIGN KEY (step_id)
    REFERENCES workflow_steps (id) ON DELETE SET NULL,
  ADD CONSTRAINT chk_mcp_tool_calls_attempt_positive CHECK (attempt >= 1),
  ADD CONSTRAINT chk_mcp_tool_calls_status
    CHECK (status IN ('started', 'completed', 'failed', 'cancelled')),
  ADD CONSTRAINT chk_mcp_tool_calls_outcome
    CHECK (outcome IS NULL
           OR outcome IN ('success', 'tool_error', 'upstream_error', 'timeout', 'cancelled', 'rejected')),
  ADD CONSTRAINT chk_mcp_tool_calls_source CHECK (source IN ('orchestrator', 'external'));

CREATE INDEX idx_tool_calls_step_id ON mcp_tool_calls (step_id);
