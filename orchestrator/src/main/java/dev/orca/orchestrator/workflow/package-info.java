/**
 * The workflows API ({@code /api/v1/workflows}): create, read, list, update (a new version each time)
 * and disable workflow definitions; every version is kept in PostgreSQL for the executions that run it.
 */
package dev.orca.orchestrator.workflow;
