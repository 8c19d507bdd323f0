-- V4: the events module (seed 001): every accepted webhook event with its processing
-- status, and subscriptions that route events to workflows.

CREATE TABLE events (
  id           UUID         NOT NULL DEFAULT gen_random_uuid(),
  source       VARCHAR(20)  NOT NULL,
  -- e.g. com.github.issues.opened, com.linear.Issue.create, com.slack.message (ce_type)
  event_type   VARCHAR(255) NOT NULL,
  -- the provider's delivery id (ce_id); one row per (source, delivery)
  delivery_id  VARCHAR(255) NOT NULL,
  payload      JSONB        NOT NULL,
  status       VARCHAR(20)  NOT NULL DEFAULT 'pending',
  error        TEXT,
  received_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
  processed_at TIMESTAMPTZ,
  created_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_events PRIMARY KEY (id),
  CONSTRAINT uq_events_source_delivery_id UNIQUE (source, delivery_id),
  CONSTRAINT chk_events_source CHECK (source IN ('github', 'linear', 'slack')),
  CONSTRAINT chk_events_status
    CHECK (status IN ('pending', 'processing', 'processed', 'failed', 'ignored')),
  CONSTRAINT chk_events_delivery_id_not_blank CHECK (btrim(delivery_id) <> '')
);
CREATE INDEX idx_events_source_event_type ON events (source, event_type);
CREATE INDEX idx_events_status_received_at ON events (status, received_at);
CREATE INDEX idx_events_received_at ON events (received_at DESC);
CREATE INDEX idx_events_payload ON events USING GIN (payload);

CREATE TRIGGER trg_events_set_updated_at BEFORE UPDATE ON events
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The execution an event started (column added in V2). Purging old events keeps executions.
ALTER TABLE workflow_executions
  ADD CONSTRAINT fk_workflow_executions_trigger_event FOREIGN KEY (trigger_event_id)
    REFERENCES events (id) ON DELETE SET NULL;

-- event_subscriptions: route events of a source whose type matches a pattern (and,
-- optionally, a filter expression) to a workflow, mapping the event into its input.
CREATE TABLE event_subscriptions (
  id                 UUID         NOT NULL DEFAULT gen_random_uuid(),
  name               VARCHAR(255) NOT NULL,
  source             VARCHAR(20)  NOT NULL,
  -- matched against events.event_type, e.g. com.github.issues.* (the orchestrator defines the syntax)
  event_type_pattern VARCHAR(255) NOT NULL,
  -- a boolean expression over the event, in the same sandboxed language as a step's "when"
  filter_expression  TEXT,
  workflow_id        UUID         NOT NULL,
  -- how the event becomes the execution's input (a JSON object of expressions over the event)
  input_mapping      JSONB        NOT NULL DEFAULT '{}'::jsonb,
  enabled            BOOLEAN      NOT NULL DEFAULT TRUE,
  created_at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_event_subscriptions PRIMARY KEY (id),
  CONSTRAINT uq_event_subscriptions_name UNIQUE (name),
  CONSTRAINT fk_event_subscriptions_workflow FOREIGN KEY (workflow_id)
    REFERENCES workflows (id) ON DELETE CASCADE,
  CONSTRAINT chk_event_subscriptions_source CHECK (source IN ('github', 'linear', 'slack')),
  CONSTRAINT chk_event_subscriptions_event_type_pattern_not_blank CHECK (btrim(event_type_pattern) <> ''),
  CONSTRAINT chk_event_subscriptions_input_mapping_is_object CHECK (jsonb_typeof(input_mapping) = 'object')
);
CREATE INDEX idx_event_subscriptions_workflow_id ON event_subscriptions (workflow_id);
-- Routing looks up the enabled subscriptions of one source.
CREATE INDEX idx_event_subscriptions_source_enabled ON event_subscriptions (source)
  WHERE enabled;

CREATE TRIGGER trg_event_subscriptions_set_updated_at BEFORE UPDATE ON event_subscriptions
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
