/**
 * The event-ingest service: verifies and de-duplicates GitHub, Linear and Slack webhooks and publishes
 * them to Kafka. Waits for the schema the orchestrator applies.
 */
package dev.orca.ingest;
