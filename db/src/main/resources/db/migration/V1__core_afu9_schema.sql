-- V1: the core AFU-9 schema (seed 004): workflows, executions, steps, MCP servers,
-- repositories, agent runs and MCP tool calls, with the changes DESIGN §2 makes:
-- TIMESTAMPTZ everywhere, created_at/updated_at NOT NULL DEFAULT now(), one
-- set_updated_at() trigger function, step status 'cancelled', one step per
-- (execution, index). Engine columns come in V2.
-- Plain SQL: applies with Flyway or with `psql -v ON_ERROR_STOP=1 -f`.

-- Keeps updated_at current on every table that has one (BEFORE UPDATE, FOR EACH ROW).
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

COMMENT ON FUNCTION set_updated_at() IS 'BEFORE UPDATE row trigger: sets NEW.updated_at to now().';

-- ---------------------------------------------------------------------------
-- workflows: definitions (templates for executions). Soft delete via enabled.
-- ---------------------------------------------------------------------------
CREATE TABLE workflows (
  id          UUID         NOT NULL DEFAULT gen_random_uuid(),
  name        VARCHAR(255) NOT NULL,
  description TEXT,
  definition  JSONB        NOT NULL,
  version     INTEGER      NOT NULL DEFAULT 1,
  enabled     BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_workflows PRIMARY KEY (id),
  CONSTRAINT uq_workflows_name UNIQUE (name),
  CONSTRAINT chk_workflows_version_positive CHECK (version >= 1),
  CONSTRAINT chk_workflows_definition_is_object CHECK (jsonb_typeof(definition) = 'object')
);
-- idx_workflows_name of the seed is the unique index uq_workflows_name.
CREATE INDEX idx_workflows_enabled ON workflows (enabled);

-- ---------------------------------------------------------------------------
-- workflow_executions: individual runs.
-- ---------------------------------------------------------------------------
CREATE TABLE workflow_executions (
  id            UUID         NOT NULL DEFAULT gen_random_uuid(),
  workflow_id   UUID         NOT NULL,
  status        VARCHAR(50)  NOT NULL DEFAULT 'pending',
  input         JSONB,
  output        JSONB,
  context       JSONB,
  started_at    TIMESTAMPTZ  DEFAULT now(),
  completed_at  TIMESTAMPTZ,
  error         TEXT,
  triggered_by  VARCHAR(255),
  github_run_id VARCHAR(255),
  created_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_workflow_executions PRIMARY KEY (id),
  CONSTRAINT fk_workflow_executions_workflow FOREIGN KEY (workflow_id)
    REFERENCES workflows (id) ON DELETE CASCADE,
  CONSTRAINT chk_execution_status
    CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled'))
);
CREATE INDEX idx_executions_workflow_id ON workflow_executions (workflow_id);
CREATE INDEX idx_executions_status ON workflow_executions (status);
CREATE INDEX idx_executions_started_at ON workflow_executions (started_at DESC);

-- ---------------------------------------------------------------------------
-- workflow_steps: one row per step of an execution.
-- ---------------------------------------------------------------------------
CREATE TABLE workflow_steps (
  id           UUID         NOT NULL DEFAULT gen_random_uuid(),
  execution_id UUID         NOT NULL,
  step_name    VARCHAR(255) NOT NULL,
  step_index   INTEGER      NOT NULL,
  status       VARCHAR(50)  NOT NULL DEFAULT 'pending',
  input        JSONB,
  output       JSONB,
  started_at   TIMESTAMPTZ,
  completed_at TIMESTAMPTZ,
  duration_ms  INTEGER,
  error        TEXT,
  retry_count  INTEGER      NOT NULL DEFAULT 0,
  created_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_workflow_steps PRIMARY KEY (id),
  CONSTRAINT fk_workflow_steps_execution FOREIGN KEY (execution_id)
    REFERENCES workflow_executions (id) ON DELETE CASCADE,
  -- One row per position: the engine's step upsert targets this.
  CONSTRAINT uq_workflow_steps_execution_step_index UNIQUE (execution_id, step_index),
  CONSTRAINT chk_step_status
    CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped', 'cancelled')),
  CONSTRAINT chk_workflow_steps_step_index_non_negative CHECK (step_index >= 0),
  CONSTRAINT chk_workflow_steps_retry_count_non_negative CHECK (retry_count >= 0),
  CONSTRAINT chk_workflow_steps_duration_non_negative CHECK (duration_ms IS NULL OR duration_ms >= 0)
);
-- idx_steps_execution_id and idx_steps_execution_step of the seed are served by
-- the unique index uq_workflow_steps_execution_step_index (execution_id, step_index).
CREATE INDEX idx_steps_status ON workflow_steps (status);

-- ---------------------------------------------------------------------------
-- mcp_servers: upstream MCP servers the gateway relays to.
-- ---------------------------------------------------------------------------
CREATE TABLE mcp_servers (
  id                UUID         NOT NULL DEFAULT gen_random_uuid(),
  name              VARCHAR(255) NOT NULL,
  description       TEXT,
  endpoint          VARCHAR(500) NOT NULL,
  enabled           BOOLEAN      NOT NULL DEFAULT TRUE,
  config            JSONB,
  health_check_url  VARCHAR(500),
  last_health_check TIMESTAMPTZ,
  health_status     VARCHAR(50),
  created_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_mcp_servers PRIMARY KEY (id),
  CONSTRAINT uq_mcp_servers_name UNIQUE (name),
  -- Tools are exposed as "server.tool", so a server name cannot contain a dot.
  CONSTRAINT chk_mcp_servers_name_no_dot CHECK (strpos(name, '.') = 0 AND name <> '')
);
-- idx_mcp_servers_name of the seed is the unique index uq_mcp_servers_name.
CREATE INDEX idx_mcp_servers_enabled ON mcp_servers (enabled);
CREATE INDEX idx_mcp_servers_config ON mcp_servers USING GIN (config);

-- ---------------------------------------------------------------------------
-- repositories: configured GitHub repositories.
-- ---------------------------------------------------------------------------
CREATE TABLE repositories (
  id             UUID         NOT NULL DEFAULT gen_random_uuid(),
  owner          VARCHAR(255) NOT NULL,
  name           VARCHAR(255) NOT NULL,
  full_name      VARCHAR(511) GENERATED ALWAYS AS (owner || '/' || name) STORED,
  default_branch VARCHAR(255) NOT NULL DEFAULT 'main',
  enabled        BOOLEAN      NOT NULL DEFAULT TRUE,
  config         JSONB,
  created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_repositories PRIMARY KEY (id),
  CONSTRAINT uq_repositories_owner_name UNIQUE (owner, name)
);
-- idx_repos_owner_name of the seed is the unique index uq_repositories_owner_name.
CREATE INDEX idx_repos_enabled ON repositories (enabled);
CREATE INDEX idx_repos_full_name ON repositories (full_name);
CREATE INDEX idx_repos_config ON repositories USING GIN (config);

-- ---------------------------------------------------------------------------
-- agent_runs: individual agent (LLM) invocations. agent_slug is added in V3.
-- ---------------------------------------------------------------------------
CREATE TABLE agent_runs (
  id                UUID          NOT NULL DEFAULT gen_random_uuid(),
  execution_id      UUID,
  step_id           UUID,
  agent_type        VARCHAR(100)  NOT NULL,
  model             VARCHAR(100),
  prompt_tokens     INTEGER,
  completion_tokens INTEGER,
  total_tokens      INTEGER,
  duration_ms       INTEGER,
  cost_usd          DECIMAL(10, 6),
  input             JSONB,
  output            JSONB,
  tool_calls        JSONB,
  started_at        TIMESTAMPTZ   DEFAULT now(),
  completed_at      TIMESTAMPTZ,
  error             TEXT,
  created_at        TIMESTAMPTZ   NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ   NOT NULL DEFAULT now(),
  CONSTRAINT pk_agent_runs PRIMARY KEY (id),
  CONSTRAINT fk_agent_runs_execution FOREIGN KEY (execution_id)
    REFERENCES workflow_executions (id) ON DELETE CASCADE,
  CONSTRAINT fk_agent_runs_step FOREIGN KEY (step_id)
    REFERENCES workflow_steps (id) ON DELETE CASCADE,
  CONSTRAINT chk_agent_runs_tokens_non_negative CHECK (
    (prompt_tokens IS NULL OR prompt_tokens >= 0)
    AND (completion_tokens IS NULL OR completion_tokens >= 0)
    AND (total_tokens IS NULL OR total_tokens >= 0)),
  CONSTRAINT chk_agent_runs_cost_non_negative CHECK (cost_usd IS NULL OR cost_usd >= 0),
  CONSTRAINT chk_agent_runs_duration_non_negative CHECK (duration_ms IS NULL OR duration_ms >= 0)
);
CREATE INDEX idx_agent_runs_execution_id ON agent_runs (execution_id);
CREATE INDEX idx_agent_runs_step_id ON agent_runs (step_id);
CREATE INDEX idx_agent_runs_agent_type ON agent_runs (agent_type);
CREATE INDEX idx_agent_runs_started_at ON agent_runs (started_at DESC);

-- ---------------------------------------------------------------------------
-- mcp_tool_calls: every MCP tool invocation, for audit and debugging.
-- Orchestrator/gateway columns (step_id, attempt, status, outcome, source) come in V2.
-- ---------------------------------------------------------------------------
CREATE TABLE mcp_tool_calls (
  id           UUID         NOT NULL DEFAULT gen_random_uuid(),
  execution_id UUID,
  agent_run_id UUID,
  server_name  VARCHAR(255) NOT NULL,
  tool_name    VARCHAR(255) NOT NULL,
  params       JSONB,
  result       JSONB,
  error        TEXT,
  duration_ms  INTEGER,
  started_at   TIMESTAMPTZ  DEFAULT now(),
  completed_at TIMESTAMPTZ,
  created_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_mcp_tool_calls PRIMARY KEY (id),
  CONSTRAINT fk_mcp_tool_calls_execution FOREIGN KEY (execution_id)
    REFERENCES workflow_executions (id) ON DELETE CASCADE,
  CONSTRAINT fk_mcp_tool_calls_agent_run FOREIGN KEY (agent_run_id)
    REFERENCES agent_runs (id) ON DELETE SET NULL,
  CONSTRAINT chk_mcp_tool_calls_duration_non_negative CHECK (duration_ms IS NULL OR duration_ms >= 0)
);
CREATE INDEX idx_tool_calls_execution_id ON mcp_tool_calls (execution_id);
CREATE INDEX idx_tool_calls_agent_run_id ON mcp_tool_calls (agent_run_id);
CREATE INDEX idx_tool_calls_server_tool ON mcp_tool_calls (server_name, tool_name);
CREATE INDEX idx_tool_calls_started_at ON mcp_tool_calls (started_at DESC);

-- ---------------------------------------------------------------------------
-- updated_at triggers
-- ---------------------------------------------------------------------------
CREATE TRIGGER trg_workflows_set_updated_at BEFORE UPDATE ON workflows
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_workflow_executions_set_updated_at BEFORE UPDATE ON workflow_executions
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_workflow_steps_set_updated_at BEFORE UPDATE ON workflow_steps
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_mcp_servers_set_updated_at BEFORE UPDATE ON mcp_servers
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_repositories_set_updated_at BEFORE UPDATE ON repositories
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_agent_runs_set_updated_at BEFORE UPDATE ON agent_runs
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER trg_mcp_tool_calls_set_updated_at BEFORE UPDATE ON mcp_tool_calls
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
