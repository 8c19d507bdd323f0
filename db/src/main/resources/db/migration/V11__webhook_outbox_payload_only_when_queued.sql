-- V11: event-ingest's hot path records only the delivery (source, delivery_id, topic, key), leased to
-- the replica sending it; the payload is written only when the webhook must wait for the relay
-- (Kafka away, the send not acknowledged, or an older queued record of its key). So:
--   payload IS NULL, published_at IS NULL, relay_after > now()  being sent directly (leased);
--   payload IS NULL, published_at IS NULL, relay_after <= now() never acknowledged (its replica died):
--     not a duplicate, a redelivery takes it again; the relay cannot send it (nothing stored);
--   payload IS NOT NULL, published_at IS NULL                   queued: the relay's;
--   published_at IS NOT NULL                                    published: the de-duplication record.
ALTER TABLE webhook_outbox ALTER COLUMN payload DROP NOT NULL;

-- Whether a key has queued records (a new record of it must queue behind them). Rows sent directly
-- never enter it, so it stays empty while Kafka is healthy.
CREATE INDEX idx_webhook_outbox_queued_key ON webhook_outbox (topic, record_key)
  WHERE published_at IS NULL AND payload IS NOT NULL;
