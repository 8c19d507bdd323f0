/**
 * Execution lifecycle events after they are written to {@code execution_outbox}: the relay to Kafka
 * topic {@code orca.executions} (CloudEvents) and the live feed behind the SSE endpoint.
 */
package dev.orca.orchestrator.events;
