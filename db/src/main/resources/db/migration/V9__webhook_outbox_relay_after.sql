-- V9: event-ingest publishes most webhooks directly and keeps webhook_outbox only as the record of
-- the delivery (de-duplication) and as the queue while Kafka is away. A row being published directly
-- is leased to the replica sending it: the relay leaves it alone until relay_after, so a record is not
-- sent twice while the first send may still succeed. A failed send releases the row at once (sets
-- relay_after to now()); a replica that dies releases its rows when the lease runs out.
ALTER TABLE webhook_outbox ADD COLUMN relay_after TIMESTAMPTZ NOT NULL DEFAULT now();
