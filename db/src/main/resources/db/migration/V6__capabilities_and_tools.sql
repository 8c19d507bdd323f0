-- V6: the capability taxonomy and the tool catalogue (seed 000). The gateway fills
-- tools from each upstream's tools/list; tools are tagged with capability names
-- and count their uses.

CREATE TABLE capabilities (
  id                   UUID         NOT NULL DEFAULT gen_random_uuid(),
  -- dotted name, e.g. data.csv.parse
  name                 VARCHAR(255) NOT NULL,
  display_name         VARCHAR(255) NOT NULL,
  category             VARCHAR(100) NOT NULL,
  subcategory          VARCHAR(100),
  action               VARCHAR(100) NOT NULL,
  description          TEXT,
  parent_id            UUID,
  examples             JSONB        NOT NULL DEFAULT '[]'::jsonb,
  related_capabilities JSONB        NOT NULL DEFAULT '[]'::jsonb,
  created_at           TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at           TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_capabilities PRIMARY KEY (id),
  CONSTRAINT uq_capabilities_name UNIQUE (name),
  CONSTRAINT fk_capabilities_parent FOREIGN KEY (parent_id) REFERENCES capabilities (id),
  CONSTRAINT chk_capabilities_not_own_parent CHECK (parent_id IS NULL OR parent_id <> id),
  CONSTRAINT chk_capabilities_name_dotted CHECK (name ~ '^[a-z0-9_-]+(\.[a-z0-9_-]+)*$'),
  CONSTRAINT chk_capabilities_examples_is_array CHECK (jsonb_typeof(examples) = 'array'),
  CONSTRAINT chk_capabilities_related_is_array CHECK (jsonb_typeof(related_capabilities) = 'array')
);
CREATE INDEX idx_capabilities_category ON capabilities (category);
CREATE INDEX idx_capabilities_parent ON capabilities (parent_id);

CREATE TRIGGER trg_capabilities_set_updated_at BEFORE UPDATE ON capabilities
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE tools (
  id             UUID         NOT NULL DEFAULT gen_random_uuid(),
  server_id      UUID         NOT NULL,
  -- the upstream's own tool name
  name           VARCHAR(255) NOT NULL,
  -- what the gateway exposes: "<server name>.<tool name>"
  qualified_name VARCHAR(511) NOT NULL,
  description    TEXT,
  input_schema   JSONB        NOT NULL DEFAULT '{"type": "object"}'::jsonb,
  output_schema  JSONB,
  annotations    JSONB,
  capabilities   TEXT[]       NOT NULL DEFAULT ARRAY[]::TEXT[],
  usage_count    BIGINT       NOT NULL DEFAULT 0,
  success_count  BIGINT       NOT NULL DEFAULT 0,
  failure_count  BIGINT       NOT NULL DEFAULT 0,
  last_used_at   TIMESTAMPTZ,
  created_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_tools PRIMARY KEY (id),
  CONSTRAINT fk_tools_server FOREIGN KEY (server_id) REFERENCES mcp_servers (id) ON DELETE CASCADE,
  CONSTRAINT uq_tools_server_name UNIQUE (server_id, name),
  CONSTRAINT uq_tools_qualified_name UNIQUE (qualified_name),
  CONSTRAINT chk_tools_qualified_name_is_server_dot_name
    CHECK (qualified_name LIKE '_%._%' AND right(qualified_name, length(name) + 1) = '.' || name),
  CONSTRAINT chk_tools_usage_count_non_negative CHECK (usage_count >= 0),
  CONSTRAINT chk_tools_success_count_non_negative CHECK (success_count >= 0),
  CONSTRAINT chk_tools_failure_count_non_negative CHECK (failure_count >= 0)
);
CREATE INDEX idx_tools_capabilities ON tools USING GIN (capabilities);

CREATE TRIGGER trg_tools_set_updated_at BEFORE UPDATE ON tools
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
