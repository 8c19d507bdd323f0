/**
 * The durable execution engine: claims executions by lease, runs one step at a time through ports,
 * and records every transition in one transaction. No Spring, no R2DBC, no Kafka in here.
 */
package dev.orca.orchestrator.engine;
