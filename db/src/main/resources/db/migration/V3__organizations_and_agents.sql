-- V3: organizations and the agent registry, as seed 003 (Orchestrator AI v2) describes them:
-- slug primary keys, TEXT[] arrays, GIN indexes on arrays and JSONB, and the agent type
-- rules as named CHECK constraints (an API maps the names to problem messages).
-- No RLS and no demo rows: schema only.

CREATE TABLE organizations (
  slug        TEXT        NOT NULL,
  name        TEXT        NOT NULL,
  description TEXT,
  url         TEXT,
  settings    JSONB       NOT NULL DEFAULT '{}'::jsonb,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT pk_organizations PRIMARY KEY (slug)
);
CREATE INDEX idx_organizations_name ON organizations (name);
CREATE INDEX idx_organizations_created_at ON organizations (created_at);
CREATE INDEX idx_organizations_settings ON organizations USING GIN (settings);

CREATE TRIGGER trg_organizations_set_updated_at BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- agents: context agents (LLM: llm_config, no endpoint), api agents (HTTP endpoint)
-- and external agents (A2A endpoint); api/external have an endpoint and no llm_config.
CREATE TABLE agents (
  slug              TEXT        NOT NULL,
  organization_slug TEXT[]      NOT NULL DEFAULT ARRAY['demo-org']::TEXT[],
  name              TEXT        NOT NULL,
  description       TEXT        NOT NULL,
  version           TEXT        NOT NULL DEFAULT '1.0.0',
  agent_type        TEXT        NOT NULL,
  department        TEXT        NOT NULL,
  tags              TEXT[]      DEFAULT ARRAY[]::TEXT[],
  io_schema         JSONB       NOT NULL,
  capabilities      TEXT[]      NOT NULL,
  context           TEXT        NOT NULL,
  endpoint          JSONB,
  llm_config        JSONB,
  metadata          JSONB       DEFAULT '{}'::jsonb,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT pk_agents PRIMARY KEY (slug),
  CONSTRAINT chk_agents_agent_type CHECK (agent_type IN ('context', 'api', 'external')),
  CONSTRAINT chk_agents_context_needs_llm_config_no_endpoint CHECK (
    agent_type <> 'context'
    OR (llm_config IS NOT NULL AND jsonb_typeof(llm_config) = 'object' AND endpoint IS NULL)),
  CONSTRAINT chk_agents_api_external_need_endpoint_no_llm_config CHECK (
    agent_type NOT IN ('api', 'external')
    OR (endpoint IS NOT NULL AND jsonb_typeof(endpoint) = 'object' AND llm_config IS NULL))
);
CREATE INDEX idx_agents_organization_slug ON agents USING GIN (organization_slug);
CREATE INDEX idx_agents_department ON agents (department);
CREATE INDEX idx_agents_agent_type ON agents (agent_type);
CREATE INDEX idx_agents_tags ON agents USING GIN (tags);
CREATE INDEX idx_agents_capabilities ON agents USING GIN (capabilities);
CREATE INDEX idx_agents_io_schema ON agents USING GIN (io_schema);
CREATE INDEX idx_agents_endpoint ON agents USING GIN (endpoint);
CREATE INDEX idx_agents_llm_config ON agents USING GIN (llm_config);
CREATE INDEX idx_agents_metadata ON agents USING GIN (metadata);
CREATE INDEX idx_agents_created_at ON agents (created_at);
CREATE INDEX idx_agents_name ON agents (name);

CREATE TRIGGER trg_agents_set_updated_at BEFORE UPDATE ON agents
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- agent_runs name the registered agent they ran (agent_type of AFU-9 is kept).
-- A deleted agent leaves its runs; a renamed slug follows.
ALTER TABLE agent_runs
  ADD COLUMN agent_slug TEXT,
  ADD CONSTRAINT fk_agent_runs_agent FOREIGN KEY (agent_slug)
    REFERENCES agents (slug) ON UPDATE CASCADE ON DELETE SET NULL;
CREATE INDEX idx_agent_runs_agent_slug ON agent_runs (agent_slug);
