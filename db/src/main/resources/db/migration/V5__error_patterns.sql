-- V5: error patterns (seed 002): step errors de-duplicated by the SHA-256 of the
-- normalized message, with occurrence counts. Writers upsert:
--   INSERT ... ON CONFLICT (error_hash) DO UPDATE
--     SET occurrence_count = error_patterns.occurrence_count + 1, last_seen = now(), ...

CREATE TABLE error_patterns (
  id               UUID         NOT NULL DEFAULT gen_random_uuid(),
  -- lower-case hex SHA-256 of the normalized message
  error_hash       CHAR(64)     NOT NULL,
  error_type       VARCHAR(255) NOT NULL,
  -- the normalized message (ids, numbers, timestamps replaced)
  error_message    TEXT         NOT NULL,
  occurrence_count INTEGER      NOT NULL DEFAULT 1,
  first_seen       TIMESTAMPTZ  NOT NULL DEFAULT now(),
  last_seen        TIMESTAMPTZ  NOT NULL DEFAULT now(),
  severity         VARCHAR(20)  NOT NULL DEFAULT 'medium',
  resolution       TEXT,
  auto_fixable     BOOLEAN      NOT NULL DEFAULT FALSE,
  -- where the error was (last) seen
  workflow_id      UUID,
  step_name        VARCHAR(255),
  created_at       TIMESTAMPTZ  NOT NULL DEFAULT now(),
  updated_at       TIMESTAMPTZ  NOT NULL DEFAULT now(),
  CONSTRAINT pk_error_patterns PRIMARY KEY (id),
  CONSTRAINT uq_error_patterns_error_hash UNIQUE (error_hash),
  CONSTRAINT fk_error_patterns_workflow FOREIGN KEY (workflow_id)
    REFERENCES workflows (id) ON DELETE SET NULL,
  CONSTRAINT chk_error_patterns_error_hash_sha256_hex CHECK (error_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT chk_error_patterns_occurrence_count_positive CHECK (occurrence_count > 0),
  CONSTRAINT chk_error_patterns_severity CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  CONSTRAINT chk_error_patterns_last_seen_not_before_first_seen CHECK (last_seen >= first_seen)
);
CREATE INDEX idx_error_patterns_last_seen ON error_patterns (last_seen DESC);
CREATE INDEX idx_error_patterns_error_type ON error_patterns (error_type);
CREATE INDEX idx_error_patterns_severity ON error_patterns (severity);
CREATE INDEX idx_error_patterns_workflow_step ON error_patterns (workflow_id, step_name);

CREATE TRIGGER trg_error_patterns_set_updated_at BEFORE UPDATE ON error_patterns
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
