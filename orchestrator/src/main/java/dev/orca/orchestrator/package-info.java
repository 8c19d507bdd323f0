/**
 * The orchestrator service: workflow definitions, the durable execution engine, triggers and agents.
 * It alone applies the schema (Flyway) at start-up.
 */
package dev.orca.orchestrator;
