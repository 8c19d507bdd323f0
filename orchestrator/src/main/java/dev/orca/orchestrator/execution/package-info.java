/**
 * Executions as stored and served: the PostgreSQL adapter of the engine's store, the execution API,
 * and the Spring wiring that starts the engine with the application.
 */
package dev.orca.orchestrator.execution;
