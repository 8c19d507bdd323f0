/**
 * Getting accepted webhooks onto Kafka exactly once in normal operation: de-duplicated by the
 * outbox's unique delivery id, published as CloudEvents, queued in PostgreSQL while Kafka is away.
 */
package dev.orca.ingest.publish;
