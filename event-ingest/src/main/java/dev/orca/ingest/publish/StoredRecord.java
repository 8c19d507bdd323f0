package dev.orca.ingest.publish;

/** A record with its {@code webhook_outbox} row id (which orders one key's records). */
record StoredRecord(long id, OutgoingRecord record) {}
