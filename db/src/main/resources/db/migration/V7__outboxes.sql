-- V7: transactional outboxes. A writer inserts the message in the same transaction
-- as its effect; a relay publishes unpublished rows to Kafka in id order and sets
-- published_at. bigserial ids follow insert order, not commit order: a relay that
-- needs strict order per key should re-read until no older unpublished row remains.

-- event-ingest: one row per accepted webhook, published to orca.webhooks.{source}.
CREATE TABLE webhook_outbox (
  id           BIGSERIAL    NOT NULL,
  source       VARCHAR(20)  NOT NULL,
  delivery_id  VARCHAR(255) NOT NULL,
  topic        VARCHAR(255) NOT NULL,
  record_key   VARCHAR(500),
  -- Kafka record headers (the ce_* CloudEvents attributes), name -> value
  headers      JSONB        NOT NULL DEFAULT '{}'::jsonb,
  -- the provider's body, byte for byte
  payload      BYTEA        NOT NULL,
  created_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  published_at TIMESTAMPTZ,
  CONSTRAINT pk_webhook_outbox PRIMARY KEY (id),
  -- a redelivered webhook is a duplicate, not a second message
  CONSTRAINT uq_webhook_outbox_source_delivery_id UNIQUE (source, delivery_id),
  CONSTRAINT chk_webhook_outbox_source CHECK (source IN ('github', 'linear', 'slack')),
  CONSTRAINT chk_webhook_outbox_headers_is_object CHECK (jsonb_typeof(headers) = 'object')
);
CREATE INDEX idx_webhook_outbox_unpublished ON webhook_outbox (id) WHERE published_at IS NULL;

-- orchestrator: execution and step lifecycle events, published to orca.executions keyed
-- by execution_id. No foreign key: a message may outlive (or describe the removal of)
-- its execution, and pruning executions must not wait on the outbox.
CREATE TABLE execution_outbox (
  id           BIGSERIAL    NOT NULL,
  execution_id UUID         NOT NULL,
  event_type   VARCHAR(255) NOT NULL,
  payload      JSONB        NOT NULL,
  created_at   TIMESTAMPTZ  NOT NULL DEFAULT now(),
  published_at TIMESTAMPTZ,
  CONSTRAINT pk_execution_outbox PRIMARY KEY (id)
);
CREATE INDEX idx_execution_outbox_unpublished ON execution_outbox (id) WHERE published_at IS NULL;
