-- V8: the SSE feed and its replay read one execution's events in order
-- (WHERE execution_id = $1 AND id > $2 ORDER BY id); without this they scan the outbox.
CREATE INDEX idx_execution_outbox_execution ON execution_outbox (execution_id, id);
